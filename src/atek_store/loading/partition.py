"""Who reads what: the pass's readers (ranks x workers) and which shards each one owns.

A pass has ``world_size`` ranks with ``workers`` readers each (its DataLoader workers, or one when
it iterates in-process), numbered ``reader = stream * world_size + rank``. In round ``k`` of a
source with ``N`` shards, the shard at position ``p`` of the round's order belongs to reader
``(p + k * N) % readers``: the rounds are dealt out as one long deck, so a source with fewer shards
than readers still reaches every reader over successive rounds. A plain shard list has a single
round per epoch, so this is the familiar split: rank ``r`` of ``W`` takes every ``W``-th shard, and
its workers every ``workers``-th of those.

A ``nodesplitter`` (code written for WebDataset, e.g. ``wds.split_by_node``) replaces the split
over ranks; the workers still split what it returns. Its split is opaque, so such a pass can only
resume on the same topology.
"""

from __future__ import annotations

import enum
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from atek_store import settings
from atek_store.errors import LoaderError, ShardSplitWarning, UsageError
from atek_store.loading.order import RoundOrder

__all__ = [
    "NodeSplitter",
    "Partition",
    "Partitioning",
    "RoundRobin",
    "SplitterPartition",
    "Topology",
    "current_rank_world",
    "warn_if_idle_readers",
]

NodeSplitter = Callable[[Any], Iterable[Any]]
"""``urls -> urls`` for this node, e.g. ``webdataset.split_by_node``; replaces our rank split."""


class Partitioning(str, enum.Enum):
    """How shards are split over readers."""

    ROUND_ROBIN = "round-robin"  # ours: dealt over ranks x workers, recomputable on any topology
    NODESPLITTER = "nodesplitter"  # a user's split over ranks, known only on its own rank


@dataclass(frozen=True)
class Topology:
    """The readers of a pass as seen by one rank: its rank, the world size, readers per rank."""

    rank: int
    world_size: int
    workers: int = 1

    def __post_init__(self) -> None:
        if self.world_size < 1 or not 0 <= self.rank < self.world_size:
            raise UsageError(
                f"rank {self.rank} is not in 0..{self.world_size - 1} (world size {self.world_size}); "
                "check RANK and WORLD_SIZE"
            )
        if self.workers < 1:
            raise UsageError(f"a rank needs at least one reader, got {self.workers}")

    @property
    def readers(self) -> int:
        """Readers in the whole pass."""
        return self.world_size * self.workers

    def reader(self, stream: int) -> int:
        """The pass-wide number of this rank's reader ``stream``."""
        if not 0 <= stream < self.workers:
            raise UsageError(f"worker stream {stream} is not in 0..{self.workers - 1}")
        return stream * self.world_size + self.rank

    def rank_of(self, reader: int) -> int:
        """The rank a pass-wide reader number belongs to."""
        return reader % self.world_size


class Partition(Protocol):
    """Which shard positions of a round a reader owns."""

    @property
    def readers(self) -> int:
        """How many readers share the shards."""
        ...

    def owned(self, order: RoundOrder, round_: int, reader: int) -> Sequence[int]:
        """The positions (in round ``round_``'s order) that ``reader`` reads, ascending."""
        ...

    def owner(self, order: RoundOrder, round_: int, position: int) -> int:
        """The reader that owns one position."""
        ...


@dataclass(frozen=True)
class RoundRobin:
    """Position ``p`` of round ``k`` belongs to reader ``(p + k * N) % readers``."""

    readers: int

    def owned(self, order: RoundOrder, round_: int, reader: int) -> Sequence[int]:
        """Every ``readers``-th position, starting where the deck left this reader."""
        first = (reader - round_ * order.num_shards) % self.readers
        return range(first, order.num_shards, self.readers)

    def owner(self, order: RoundOrder, round_: int, position: int) -> int:
        """The reader dealt this position."""
        return (position + round_ * order.num_shards) % self.readers


@dataclass(frozen=True)
class SplitterPartition:
    """A user's nodesplitter picks this rank's shards; its workers take every ``workers``-th."""

    nodesplitter: NodeSplitter
    urls: tuple[str, ...]
    readers: int  # this rank's readers: a nodesplitter's split is only known on its own rank

    def owned(self, order: RoundOrder, round_: int, reader: int) -> Sequence[int]:
        """The positions whose URLs the nodesplitter keeps, every ``readers``-th of them."""
        shards = order.shards(round_)
        picked = set(apply_nodesplitter(self.nodesplitter, [self.urls[shard] for shard in shards]))
        mine = [position for position, shard in enumerate(shards) if self.urls[shard] in picked]
        return mine[reader :: self.readers]

    def owner(self, order: RoundOrder, round_: int, position: int) -> int:
        """Never needed: a nodesplitter's pass only resumes on its own topology."""
        raise LoaderError("a nodesplitter's split cannot be recomputed on another topology")


def apply_nodesplitter(nodesplitter: NodeSplitter, urls: list[str]) -> list[str]:
    """The URLs a nodesplitter keeps (webdataset's splitters may pass ``{"url": ...}`` dicts)."""
    picked: list[str] = []
    for item in nodesplitter(iter(urls)):
        url = item.get("url") if isinstance(item, dict) else item
        if not isinstance(url, str):
            raise LoaderError(f"nodesplitter returned {item!r}; expected URL strings")
        picked.append(url)
    return picked


def current_rank_world() -> tuple[int, int]:
    """Rank and world size: from ``torch.distributed`` when initialised, else ``RANK``/``WORLD_SIZE``."""
    import torch.distributed  # here, not at module level: the downloader imports this package

    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    try:
        return settings.env_rank_world()
    except ValueError as error:
        raise UsageError(f"RANK and WORLD_SIZE must be integers: {error}") from None


def warn_if_idle_readers(
    urls: Sequence[str], *, world_size: int, workers: int, nodesplitter: NodeSplitter | None = None
) -> None:
    """Warn (:class:`ShardSplitWarning`) when some (rank, worker) readers would get no shard at all."""
    if nodesplitter is None:
        shards, readers = len(urls), world_size * workers
        layout = f"{world_size} rank(s) x {workers} worker(s)"
    else:
        shards, readers = len(apply_nodesplitter(nodesplitter, list(urls))), workers
        layout = f"{workers} worker(s) on this node after the nodesplitter"
    if shards < readers:
        warnings.warn(
            f"{shards} shard(s) for {readers} readers ({layout}): {readers - shards} reader(s) get no "
            "shard and sit idle, and ranks may see different numbers of samples. Use fewer DataLoader "
            "workers, or more and smaller shards.",
            ShardSplitWarning,
            stacklevel=3,
        )
