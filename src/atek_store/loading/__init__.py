"""Loading ATEK shards into PyTorch: the original's API, elastic resume, weighted mixing, streaming.

The order of an epoch is one global seeded order, whatever the number of ranks and workers; a
resume state restores it on any topology; several shard lists mix with weights; streamed shards
are fetched ahead and can be cached.

``load_atek_wds_dataset`` / ``create_native_atek_dataloader`` are the entry points. Underneath, one
small module per concern: ``options`` (the keyword options as records), ``order`` (the global
order of an epoch), ``partition`` (which reader owns which shard), ``ledger`` and ``state`` (what
was taken, and the resume state), ``mixing`` (weighted sources), ``stages/`` (one reader's chain,
one stage per module), ``reader`` and ``plan`` (building a pass), ``tracker`` (a pass's
progress), ``readahead`` / ``ranges`` (streamed shards fetched ahead; shards are opened and cached
by :mod:`atek_store.sources`), ``collate``, ``handler``
(error policy), ``handoff`` / ``ring`` (items crossing from workers), ``dataset`` and
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
    "ImageLayout": "atek_store.loading.options",
    "LoaderOptions": "atek_store.loading.options",
    "LoaderProgress": "atek_store.loading.tracker",
    "Mixture": "atek_store.loading.mixing",
    "STATE_FORMAT": "atek_store.loading.state",
    "ShardCache": "atek_store.sources.cache",
    "SkipCounts": "atek_store.loading.handler",
    "WorkerOptions": "atek_store.loading.options",
    "atek_default_collation_fn": "atek_store.loading.collate",
    "create_native_atek_dataloader": "atek_store.loading.api",
    "load_atek_wds_dataset": "atek_store.loading.api",
    "merge_loader_states": "atek_store.loading.state",
    "simple_list_collation_fn": "atek_store.loading.collate",
}

if typing.TYPE_CHECKING:
    from atek_store.http import HttpOptions
    from atek_store.loading.api import create_native_atek_dataloader, load_atek_wds_dataset
    from atek_store.loading.collate import atek_default_collation_fn, simple_list_collation_fn
    from atek_store.loading.dataloader import AtekDataLoader
    from atek_store.loading.dataset import AtekWdsDataset
    from atek_store.loading.handler import SkipCounts
    from atek_store.loading.mixing import Mixture
    from atek_store.loading.options import ImageLayout, LoaderOptions, WorkerOptions
    from atek_store.loading.state import STATE_FORMAT, merge_loader_states
    from atek_store.loading.tracker import LoaderProgress
    from atek_store.sources.cache import DEFAULT_CACHE_MAX_BYTES, ShardCache
else:
    __getattr__, __dir__ = _lazy.attach(__name__, _LAZY)

__all__ = [
    "AtekDataLoader",
    "AtekWdsDataset",
    "DEFAULT_CACHE_MAX_BYTES",
    "HttpOptions",
    "ImageLayout",
    "LoaderOptions",
    "LoaderProgress",
    "Mixture",
    "STATE_FORMAT",
    "ShardCache",
    "SkipCounts",
    "WorkerOptions",
    "atek_default_collation_fn",
    "create_native_atek_dataloader",
    "load_atek_wds_dataset",
    "merge_loader_states",
    "simple_list_collation_fn",
]
