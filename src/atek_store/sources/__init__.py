"""The one shard source: open a shard wherever it is (path, file://, http(s), cache), yield its samples."""

import typing

from atek_store import _lazy

# Public name -> the module that defines it; imported on first use (see atek_store._lazy).
_LAZY: dict[str, str] = {
    "CacheEntryWriter": "atek_store.sources.cache",
    "DEFAULT_CACHE_MAX_BYTES": "atek_store.sources.cache",
    "Prefetched": "atek_store.sources.opener",
    "REMOTE_SCHEMES": "atek_store.sources.origin",
    "ShardCache": "atek_store.sources.cache",
    "ShardOpener": "atek_store.sources.opener",
    "ShardOrigin": "atek_store.sources.origin",
    "SourceSample": "atek_store.sources.opener",
    "is_remote": "atek_store.sources.origin",
}

if typing.TYPE_CHECKING:
    from atek_store.sources.cache import DEFAULT_CACHE_MAX_BYTES, CacheEntryWriter, ShardCache
    from atek_store.sources.opener import Prefetched, ShardOpener, SourceSample
    from atek_store.sources.origin import REMOTE_SCHEMES, ShardOrigin, is_remote
else:
    __getattr__, __dir__ = _lazy.attach(__name__, _LAZY)

__all__ = [
    "CacheEntryWriter",
    "DEFAULT_CACHE_MAX_BYTES",
    "Prefetched",
    "REMOTE_SCHEMES",
    "ShardCache",
    "ShardOpener",
    "ShardOrigin",
    "SourceSample",
    "is_remote",
]
