"""atek-store: an open, fast and trustworthy implementation of the ATEK Data Store.

The public API is declared here once (sorted ``__all__``, checked by ``tests/test_exported_members.py``).
"""

from __future__ import annotations

from atek_store._version import __version__
from atek_store.adaptors import (
    CubeRCNNModelAdaptor,
    ModelAdaptor,
    Sam2ModelAdaptor,
    create_atek_dataloader_as_cubercnn,
    create_atek_dataloader_as_sam2,
    load_atek_wds_dataset_as_cubercnn,
)
from atek_store.catalog import CATALOG, CatalogEntry
from atek_store.download import (
    DownloadPlan,
    DownloadReport,
    ShardOutcome,
    VerifyReport,
    download_atek_wds_sequences,
    plan_download,
    verify_local_store,
)
from atek_store.loading import (
    AtekDataLoader,
    AtekWdsDataset,
    HttpOptions,
    atek_default_collation_fn,
    create_native_atek_dataloader,
    load_atek_wds_dataset,
    simple_list_collation_fn,
)
from atek_store.manifest import (
    ConfigManifest,
    SequenceManifest,
    ShardEntry,
    UrlManifest,
    load_manifest,
)
from atek_store.preprocess import PreprocessConfig, preprocess_many, preprocess_sequence
from atek_store.preprocess import load_config as load_preprocess_config
from atek_store.selection import Selection, SplitSpec, make_selection
from atek_store.shardlists import load_yaml_and_extract_tar_list
from atek_store.store import (
    PublishReport,
    ServerConfig,
    StoreServer,
    UrlSigner,
    publish_store,
    serve_store,
    start_store_server,
)
from atek_store.viz import RenderOptions, render_sample, render_shard_sample, summarize_shard

__all__ = [
    "AtekDataLoader",
    "AtekWdsDataset",
    "CATALOG",
    "CatalogEntry",
    "ConfigManifest",
    "CubeRCNNModelAdaptor",
    "DownloadPlan",
    "DownloadReport",
    "HttpOptions",
    "ModelAdaptor",
    "PreprocessConfig",
    "PublishReport",
    "RenderOptions",
    "Sam2ModelAdaptor",
    "Selection",
    "SequenceManifest",
    "ServerConfig",
    "ShardEntry",
    "ShardOutcome",
    "SplitSpec",
    "StoreServer",
    "UrlManifest",
    "UrlSigner",
    "VerifyReport",
    "__version__",
    "atek_default_collation_fn",
    "create_atek_dataloader_as_cubercnn",
    "create_atek_dataloader_as_sam2",
    "create_native_atek_dataloader",
    "download_atek_wds_sequences",
    "load_atek_wds_dataset",
    "load_atek_wds_dataset_as_cubercnn",
    "load_manifest",
    "load_preprocess_config",
    "load_yaml_and_extract_tar_list",
    "make_selection",
    "plan_download",
    "preprocess_many",
    "preprocess_sequence",
    "publish_store",
    "render_sample",
    "render_shard_sample",
    "serve_store",
    "simple_list_collation_fn",
    "start_store_server",
    "summarize_shard",
    "verify_local_store",
]
