"""Loading ATEK shards into PyTorch: the original's API, seeded splits, exact resume, streaming, a cache.

``load_atek_wds_dataset`` / ``create_native_atek_dataloader`` are the entry points. Underneath, one
small module per concern: ``shards`` (which reader reads which shard), ``shuffle`` (seeded
orders), ``remote`` (streaming; shards are opened and cached by :mod:`atek_store.sources`),
``pipeline`` (one reader's stages), ``collate``, ``handler`` (error policy), ``dataset`` and
``dataloader``.
"""

import typing

from atek_store import _lazy

# Public name -> the module that defines it; imported on first use (see atek_store._lazy).
_LAZY: dict[str, str] = {
    "AtekDataLoader": "atek_store.loading.dataloader",
    "AtekWdsDataset": "atek_store.loading.dataset",
    "DEFAULT_CACHE_MAX_BYTES": "atek_store.sources.cache",
    "HttpOptions": "atek_store.http.options",
    "ShardCache": "atek_store.sources.cache",
    "SkipCounts": "atek_store.loading.handler",
    "atek_default_collation_fn": "atek_store.loading.collate",
    "create_native_atek_dataloader": "atek_store.loading.api",
    "load_atek_wds_dataset": "atek_store.loading.api",
    "simple_list_collation_fn": "atek_store.loading.collate",
}

if typing.TYPE_CHECKING:
    from atek_store.http import HttpOptions
    from atek_store.loading.api import create_native_atek_dataloader, load_atek_wds_dataset
    from atek_store.loading.collate import atek_default_collation_fn, simple_list_collation_fn
    from atek_store.loading.dataloader import AtekDataLoader
    from atek_store.loading.dataset import AtekWdsDataset
    from atek_store.loading.handler import SkipCounts
    from atek_store.sources.cache import DEFAULT_CACHE_MAX_BYTES, ShardCache
else:
    __getattr__, __dir__ = _lazy.attach(__name__, _LAZY)

__all__ = [
    "AtekDataLoader",
    "AtekWdsDataset",
    "DEFAULT_CACHE_MAX_BYTES",
    "HttpOptions",
    "ShardCache",
    "SkipCounts",
    "atek_default_collation_fn",
    "create_native_atek_dataloader",
    "load_atek_wds_dataset",
    "simple_list_collation_fn",
]
