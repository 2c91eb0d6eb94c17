"""Everything that defines what a dataset's readers yield: one frozen record, the same in every reader."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from atek_store.loading.mixing import Mixture
from atek_store.loading.options import LoaderOptions
from atek_store.loading.partition import NodeSplitter
from atek_store.loading.shards import urls_digest
from atek_store.loading.stages.batch import Collate
from atek_store.loading.stages.transform import TransformFn

__all__ = ["PLAIN_SOURCE", "DatasetConfig"]

PLAIN_SOURCE = "shards"
"""The name of the one source of a dataset over a plain shard list (in reports)."""


@dataclass(frozen=True, kw_only=True)
class DatasetConfig:
    """A dataset: its shard lists, the original's stages, and the options.

    Attributes:
        names: the sources' names (one, :data:`PLAIN_SOURCE`, for a plain shard list).
        sources: each source's shards.
        mixture: the weights and epoch size when several lists are mixed (None: one plain list).
        nodesplitter: replaces the split over ranks (see :mod:`atek_store.loading.partition`).
        dict_key_mapping: keep only these keys, renamed.
        data_transform_fn: the transform stage.
        batch_size: batch this many items (None: no batching).
        collation_fn: how a batch is made.
        repeat: go on with the next epoch forever.
        shuffle: shuffle shards and samples.
        options: everything else.
    """

    names: tuple[str, ...]
    sources: tuple[tuple[str, ...], ...]
    mixture: Mixture | None = None
    nodesplitter: NodeSplitter | None = None
    dict_key_mapping: Mapping[str, str] | None = None
    data_transform_fn: TransformFn | None = None
    batch_size: int | None = None
    collation_fn: Collate | None = None
    repeat: bool = False
    shuffle: bool = False
    options: LoaderOptions = LoaderOptions()

    @classmethod
    def plain(cls, urls: tuple[str, ...], **fields: Any) -> DatasetConfig:
        """A dataset over one shard list."""
        return cls(names=(PLAIN_SOURCE,), sources=(urls,), **fields)

    @property
    def wanted(self) -> frozenset[str] | None:
        """The sample keys to decode: those of the mapping, or all (None)."""
        return frozenset(self.dict_key_mapping) if self.dict_key_mapping else None

    @property
    def all_urls(self) -> tuple[str, ...]:
        """Every shard of every source."""
        return tuple(url for urls in self.sources for url in urls)

    def fingerprint(self) -> dict[str, Any]:
        """What a resume state must have been taken with: the order and the split depend on it."""
        mixture = self.mixture
        return {
            "sources": [
                [name, urls_digest(urls)] for name, urls in zip(self.names, self.sources, strict=True)
            ],
            "seed": self.options.seed,
            "shuffle": self.shuffle,
            "shuffle_window": self.options.shuffle_window if self.shuffle else None,
            "mixture": None
            if mixture is None
            else {"weights": list(mixture.weights), "epoch_size": mixture.epoch_size},
            "nodesplitter": self.nodesplitter is not None,
        }
