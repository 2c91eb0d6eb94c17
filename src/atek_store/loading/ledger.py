"""What an epoch has consumed so far, over every topology (world size x workers) that read it.

Each reader yields the samples of its shards in the global order (:mod:`atek_store.loading.order`),
so what it has taken is a *prefix* of its part, recorded as a :class:`LanePosition` per source:
the round it reached and the last sample it took there. One topology's positions form a
:class:`Layer`. When a job resumes on another topology, the old layer is kept and the new readers
split what no layer covers; so an epoch is read exactly once however often the world changes, and
the record stays small (a few numbers per reader and topology, never a list of samples).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from atek_store.errors import LoaderError
from atek_store.loading.order import Coverage, RoundOrder, SampleId
from atek_store.loading.partition import RoundRobin

__all__ = ["EpochLedger", "LanePosition", "Layer", "ReaderProgress"]


@dataclass(frozen=True)
class LanePosition:
    """How far one reader got in one source during one epoch.

    Every sample it owns in rounds before ``round`` is taken, and in ``round`` those up to ``last``
    in the global order (none when ``last`` is None). ``taken`` counts the samples it took.
    """

    round: int = 0
    last: SampleId | None = None
    taken: int = 0

    def to_json(self) -> list[int | None]:
        """``[round, shard position, sample index, taken]`` (position and index null without ``last``)."""
        if self.last is None:
            return [self.round, None, None, self.taken]
        return [self.round, self.last[1], self.last[2], self.taken]

    @classmethod
    def from_json(cls, data: Any) -> LanePosition:
        """Parse :meth:`to_json` output.

        Raises:
            LoaderError: the value is malformed.
        """
        try:
            round_, position, index, taken = data
            last = None if position is None else (int(round_), int(position), int(index))
            lane = cls(int(round_), last, int(taken))
        except (TypeError, ValueError) as error:
            raise LoaderError(f"malformed lane position in a loader state: {data!r:.80} ({error})") from None
        if lane.round < 0 or lane.taken < 0 or (last is not None and min(last) < 0):
            raise LoaderError(f"malformed lane position in a loader state: {data!r:.80}")
        return lane


@dataclass(frozen=True)
class ReaderProgress:
    """One reader's positions in one epoch, one per source."""

    lanes: tuple[LanePosition, ...]

    def to_json(self) -> list[list[int | None]]:
        """One :meth:`LanePosition.to_json` per source."""
        return [lane.to_json() for lane in self.lanes]

    @classmethod
    def from_json(cls, data: Any, *, sources: int) -> ReaderProgress:
        """Parse :meth:`to_json` output for a dataset of ``sources`` sources.

        Raises:
            LoaderError: the value is malformed or has another number of sources.
        """
        if not isinstance(data, list) or len(data) != sources:
            raise LoaderError(
                f"malformed reader progress in a loader state (expected {sources} lanes): {data!r:.80}"
            )
        return cls(tuple(LanePosition.from_json(lane) for lane in data))


@dataclass(frozen=True)
class Layer:
    """The progress of every reader of one topology in one epoch (None: it took nothing)."""

    readers: int
    entries: tuple[ReaderProgress | None, ...]

    def to_json(self) -> dict[str, Any]:
        """Plain values for a state dict."""
        return {
            "readers": self.readers,
            "entries": [None if entry is None else entry.to_json() for entry in self.entries],
        }

    @classmethod
    def from_json(cls, data: Any, *, sources: int) -> Layer:
        """Parse :meth:`to_json` output.

        Raises:
            LoaderError: the value is malformed.
        """
        try:
            readers = int(data["readers"])
            raw = list(data["entries"])
        except (KeyError, TypeError, ValueError) as error:
            raise LoaderError(f"malformed layer in a loader state: {data!r:.80} ({error})") from None
        if readers < 1 or len(raw) != readers:
            raise LoaderError(f"malformed layer in a loader state: {readers} readers, {len(raw)} entries")
        entries = tuple(
            None if item is None else ReaderProgress.from_json(item, sources=sources) for item in raw
        )
        return cls(readers, entries)


class EpochLedger:
    """The samples of one epoch that earlier topologies took, asked shard by shard.

    Args:
        layers: the earlier topologies' progress, oldest first.
        orders: the global order of each source in this epoch.
    """

    def __init__(self, layers: Sequence[Layer], orders: Sequence[RoundOrder]) -> None:
        self.layers = tuple(layers)
        self.orders = tuple(orders)

    def coverage(self, source: int, round_: int, position: int) -> tuple[Coverage, tuple[SampleId, ...]]:
        """How much of one shard earlier layers took, with the prefixes that end inside it."""
        order = self.orders[source]
        partial: list[SampleId] = []
        for layer in self.layers:
            entry = layer.entries[RoundRobin(layer.readers).owner(order, round_, position)]
            if entry is None:
                continue
            lane = entry.lanes[source]
            covered = order.coverage(round_, position, lane.last, lane.round)
            if covered is Coverage.FULL:
                return Coverage.FULL, ()
            if covered is Coverage.PARTIAL and lane.last is not None:
                partial.append(lane.last)
        return (Coverage.PARTIAL if partial else Coverage.NONE), tuple(partial)

    def taken(self, source: int) -> int:
        """Samples of ``source`` that earlier layers took in this epoch."""
        return sum(
            entry.lanes[source].taken for layer in self.layers for entry in layer.entries if entry is not None
        )


def consumed_by(order: RoundOrder, sample: SampleId, prefixes: Sequence[SampleId]) -> bool:
    """Whether one of the prefixes (last samples taken, in the same window) reaches ``sample``."""
    key = order.key(sample)
    return any(key <= order.key(last) for last in prefixes)


def layer_map(data: Mapping[str, Any], *, sources: int) -> dict[int, tuple[Layer, ...]]:
    """Parse ``{"<epoch>": [layer, ...]}`` from a state dict.

    Raises:
        LoaderError: the value is malformed.
    """
    try:
        return {
            int(epoch): tuple(Layer.from_json(layer, sources=sources) for layer in layers)
            for epoch, layers in data.items()
        }
    except (TypeError, ValueError, AttributeError) as error:
        raise LoaderError(f"malformed epochs in a loader state: {error}") from None
