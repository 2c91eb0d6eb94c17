"""The raw samples of one reader in one epoch: its lane of each source, interleaved by a schedule.

A plain shard list has one lane, read to its end. A mixture has one lane per source and a
schedule (:func:`~atek_store.loading.mixing.schedule`) saying which lane gives each sample; the
epoch ends with the schedule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from atek_store.loading.ledger import ReaderProgress
from atek_store.loading.stages.base import Stage, StageState
from atek_store.loading.stages.lane import Lane
from atek_store.sources import SourceSample

__all__ = ["EpochSource"]


class EpochSource(Stage[SourceSample]):
    """One reader's raw samples of one epoch.

    Args:
        lanes: one per source.
        schedule: the source of each sample (mixtures), or None to read the single lane to its end.
    """

    def __init__(self, lanes: Sequence[Lane], schedule: Sequence[int] | None) -> None:
        self.lanes = tuple(lanes)
        self.schedule = schedule
        self._next = 0

    def reset(self, state: Mapping[str, Any] | None = None) -> None:
        """Start the epoch over, or continue from the lanes' saved positions."""
        for index, lane in enumerate(self.lanes):
            lane.reset(None if state is None else state["lanes"][index])
        # The schedule's position is the number of samples the lanes have given.
        self._next = sum(lane.position.taken for lane in self.lanes)

    def close(self) -> None:
        """Close every lane."""
        for lane in self.lanes:
            lane.close()

    def get_state(self) -> StageState:
        """The lanes' states."""
        return {"lanes": [lane.get_state() for lane in self.lanes]}

    def __next__(self) -> SourceSample:
        if self.schedule is None:
            return next(self.lanes[0])[1]
        if self._next >= len(self.schedule):
            raise StopIteration
        _, sample = next(
            self.lanes[self.schedule[self._next]]
        )  # a lane stopped by the handler ends the epoch
        self._next += 1
        return sample

    @property
    def skipped_shards(self) -> int:
        """Shards skipped as bad so far."""
        return sum(lane.skipped_shards for lane in self.lanes)

    def progress(self) -> ReaderProgress:
        """The lanes' positions, for the ledger."""
        return ReaderProgress(tuple(lane.position for lane in self.lanes))
