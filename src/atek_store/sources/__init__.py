"""The one shard source: open a shard wherever it is (path, file://, http(s), cache), yield its samples."""

from __future__ import annotations

from atek_store.sources.cache import DEFAULT_CACHE_MAX_BYTES, CacheEntryWriter, ShardCache
from atek_store.sources.opener import Prefetched, ShardOpener, SourceSample
from atek_store.sources.origin import REMOTE_SCHEMES, ShardOrigin, is_remote

__all__ = [
    "DEFAULT_CACHE_MAX_BYTES",
    "REMOTE_SCHEMES",
    "CacheEntryWriter",
    "Prefetched",
    "ShardCache",
    "ShardOpener",
    "ShardOrigin",
    "SourceSample",
    "is_remote",
]
