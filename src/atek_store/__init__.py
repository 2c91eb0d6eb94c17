"""atek-store: an open, fast and trustworthy implementation of the ATEK Data Store.

The public API is declared here once (sorted ``__all__``, checked by ``tests/test_exported_members.py``).
Names are imported on first use (PEP 562, :mod:`atek_store._lazy`): ``import atek_store`` and the
download, list and serve commands never load torch or numpy.
"""

import typing

from atek_store import _lazy
from atek_store._version import __version__

# Public name -> the package that exports it ("package:attribute" where the names differ).
_LAZY: dict[str, str] = {
    "AtekDataLoader": "atek_store.loading",
    "AtekWdsDataset": "atek_store.loading",
    "CATALOG": "atek_store.catalog",
    "CatalogEntry": "atek_store.catalog",
    "ConfigManifest": "atek_store.manifest",
    "CubeRCNNModelAdaptor": "atek_store.adaptors",
    "DownloadPlan": "atek_store.download",
    "DownloadReport": "atek_store.download",
    "DownloadRequest": "atek_store.download",
    "FrontConfig": "atek_store.store",
    "HttpOptions": "atek_store.loading",
    "LoaderOptions": "atek_store.loading",
    "Mixture": "atek_store.loading",
    "ModelAdaptor": "atek_store.adaptors",
    "PreprocessConfig": "atek_store.preprocess",
    "PublishReport": "atek_store.store",
    "ReadLimits": "atek_store.format",
    "RenderOptions": "atek_store.viz",
    "Sam2ModelAdaptor": "atek_store.adaptors",
    "Selection": "atek_store.selection",
    "SequenceManifest": "atek_store.manifest",
    "ServerConfig": "atek_store.store",
    "ShardEntry": "atek_store.manifest",
    "ShardOutcome": "atek_store.download",
    "ShardStatus": "atek_store.download",
    "SplitSpec": "atek_store.selection",
    "StoreServer": "atek_store.store",
    "UrlManifest": "atek_store.manifest",
    "UrlSigner": "atek_store.store",
    "VerifyReport": "atek_store.download",
    "atek_default_collation_fn": "atek_store.loading",
    "create_atek_dataloader_as_cubercnn": "atek_store.adaptors",
    "create_atek_dataloader_as_sam2": "atek_store.adaptors",
    "create_native_atek_dataloader": "atek_store.loading",
    "download_atek_wds_sequences": "atek_store.download",
    "load_atek_wds_dataset": "atek_store.loading",
    "load_atek_wds_dataset_as_cubercnn": "atek_store.adaptors",
    "load_manifest": "atek_store.manifest",
    "load_preprocess_config": "atek_store.preprocess:load_config",
    "load_yaml_and_extract_tar_list": "atek_store.shardlists",
    "make_selection": "atek_store.selection",
    "merge_loader_states": "atek_store.loading",
    "plan_download": "atek_store.download",
    "preprocess_many": "atek_store.preprocess",
    "preprocess_sequence": "atek_store.preprocess",
    "publish_store": "atek_store.store",
    "render_sample": "atek_store.viz",
    "render_shard_sample": "atek_store.viz",
    "run_download": "atek_store.download",
    "serve_store": "atek_store.store",
    "simple_list_collation_fn": "atek_store.loading",
    "start_store_server": "atek_store.store",
    "summarize_shard": "atek_store.viz",
    "verify_local_store": "atek_store.download",
}

if typing.TYPE_CHECKING:
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
        DownloadRequest,
        ShardOutcome,
        ShardStatus,
        VerifyReport,
        download_atek_wds_sequences,
        plan_download,
        run_download,
        verify_local_store,
    )
    from atek_store.format import ReadLimits
    from atek_store.loading import (
        AtekDataLoader,
        AtekWdsDataset,
        HttpOptions,
        LoaderOptions,
        Mixture,
        atek_default_collation_fn,
        create_native_atek_dataloader,
        load_atek_wds_dataset,
        merge_loader_states,
        simple_list_collation_fn,
    )
    from atek_store.manifest import ConfigManifest, SequenceManifest, ShardEntry, UrlManifest, load_manifest
    from atek_store.preprocess import (
        PreprocessConfig,
        preprocess_many,
        preprocess_sequence,
    )
    from atek_store.preprocess import (
        load_config as load_preprocess_config,
    )
    from atek_store.selection import Selection, SplitSpec, make_selection
    from atek_store.shardlists import load_yaml_and_extract_tar_list
    from atek_store.store import (
        FrontConfig,
        PublishReport,
        ServerConfig,
        StoreServer,
        UrlSigner,
        publish_store,
        serve_store,
        start_store_server,
    )
    from atek_store.viz import RenderOptions, render_sample, render_shard_sample, summarize_shard
else:
    __getattr__, __dir__ = _lazy.attach(__name__, _LAZY)

__all__ = [
    "AtekDataLoader",
    "AtekWdsDataset",
    "CATALOG",
    "CatalogEntry",
    "ConfigManifest",
    "CubeRCNNModelAdaptor",
    "DownloadPlan",
    "DownloadReport",
    "DownloadRequest",
    "FrontConfig",
    "HttpOptions",
    "LoaderOptions",
    "Mixture",
    "ModelAdaptor",
    "PreprocessConfig",
    "PublishReport",
    "ReadLimits",
    "RenderOptions",
    "Sam2ModelAdaptor",
    "Selection",
    "SequenceManifest",
    "ServerConfig",
    "ShardEntry",
    "ShardOutcome",
    "ShardStatus",
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
    "merge_loader_states",
    "plan_download",
    "preprocess_many",
    "preprocess_sequence",
    "publish_store",
    "render_sample",
    "render_shard_sample",
    "run_download",
    "serve_store",
    "simple_list_collation_fn",
    "start_store_server",
    "summarize_shard",
    "verify_local_store",
]
