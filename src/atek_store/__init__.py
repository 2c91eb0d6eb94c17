"""atek-store: an open, fast and trustworthy implementation of the ATEK Data Store.

The public API is declared here once (sorted ``__all__``, checked by ``tests/test_exported_members.py``).
"""

from __future__ import annotations

__version__ = "0.1.0"

from atek_store.catalog import CATALOG, CatalogEntry  # noqa: E402 - after __version__, which they import
from atek_store.download import (  # noqa: E402
    DownloadPlan,
    DownloadReport,
    ShardOutcome,
    VerifyReport,
    download_atek_wds_sequences,
    plan_download,
    verify_local_store,
)
from atek_store.manifest import (  # noqa: E402
    ConfigManifest,
    SequenceManifest,
    ShardEntry,
    UrlManifest,
    load_manifest,
)
from atek_store.selection import Selection, SplitSpec, make_selection  # noqa: E402
from atek_store.shardlists import load_yaml_and_extract_tar_list  # noqa: E402

__all__ = [
    "CATALOG",
    "CatalogEntry",
    "ConfigManifest",
    "DownloadPlan",
    "DownloadReport",
    "Selection",
    "SequenceManifest",
    "ShardEntry",
    "ShardOutcome",
    "SplitSpec",
    "UrlManifest",
    "VerifyReport",
    "__version__",
    "download_atek_wds_sequences",
    "load_manifest",
    "load_yaml_and_extract_tar_list",
    "make_selection",
    "plan_download",
    "verify_local_store",
]
