"""Loading ATEK shards into PyTorch: the original's API, seeded splits, exact resume, streaming, a cache.

``load_atek_wds_dataset`` / ``create_native_atek_dataloader`` are the entry points. Underneath, one
small module per concern: ``shards`` (which reader reads which shard), ``shuffle`` (seeded
orders), ``sources`` / ``remote`` / ``cache`` (getting the bytes), ``pipeline`` (one reader's
stages), ``collate``, ``handler`` (error policy), ``dataset`` and ``dataloader``.
"""

from __future__ import annotations

from atek_store.loading.api import create_native_atek_dataloader, load_atek_wds_dataset
from atek_store.loading.collate import atek_default_collation_fn, simple_list_collation_fn
from atek_store.loading.dataloader import AtekDataLoader
from atek_store.loading.dataset import AtekWdsDataset
from atek_store.loading.handler import SkipCounts
from atek_store.loading.remote import HttpOptions
from atek_store.sources.cache import DEFAULT_CACHE_MAX_BYTES, ShardCache

__all__ = [
    "DEFAULT_CACHE_MAX_BYTES",
    "AtekDataLoader",
    "AtekWdsDataset",
    "HttpOptions",
    "ShardCache",
    "SkipCounts",
    "atek_default_collation_fn",
    "create_native_atek_dataloader",
    "load_atek_wds_dataset",
    "simple_list_collation_fn",
]
