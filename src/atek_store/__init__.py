"""atek-store: an open, fast and trustworthy implementation of the ATEK Data Store.

The public API is declared here once (sorted ``__all__``, checked by ``tests/test_exported_members.py``).
"""

from __future__ import annotations

from atek_store.store import (
    PublishReport,
    ServerConfig,
    StoreServer,
    UrlSigner,
    publish_store,
    serve_store,
    start_store_server,
)

__version__ = "0.1.0"

__all__ = [
    "PublishReport",
    "ServerConfig",
    "StoreServer",
    "UrlSigner",
    "__version__",
    "publish_store",
    "serve_store",
    "start_store_server",
]
