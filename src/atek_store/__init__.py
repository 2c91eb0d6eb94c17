"""atek-store: an open, fast and trustworthy implementation of the ATEK Data Store.

The public API is declared here once (sorted ``__all__``, checked by ``tests/test_exported_members.py``).
"""

from __future__ import annotations

from atek_store.loading import (
    AtekDataLoader,
    AtekWdsDataset,
    HttpOptions,
    atek_default_collation_fn,
    create_native_atek_dataloader,
    load_atek_wds_dataset,
    simple_list_collation_fn,
)

__version__ = "0.1.0"

__all__ = [
    "AtekDataLoader",
    "AtekWdsDataset",
    "HttpOptions",
    "__version__",
    "atek_default_collation_fn",
    "create_native_atek_dataloader",
    "load_atek_wds_dataset",
    "simple_list_collation_fn",
]
