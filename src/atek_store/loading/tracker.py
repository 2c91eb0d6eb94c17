"""The progress of a pass: the latest state of each of this rank's readers, and the pass's resume state.

The loader records a reader's state each time one of its items reaches the caller (items a
DataLoader worker prepared but nobody took yet do not count); ``loader_state`` turns the
readers' states into a :class:`~atek_store.loading.state.LoaderState`. With ``torch.distributed``
initialised it gathers every rank's readers, so any rank's state resumes the whole job.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from atek_store.loading.config import DatasetConfig
from atek_store.loading.handler import SkipCounts
from atek_store.loading.partition import Partitioning
from atek_store.loading.plan import PassPlan
from atek_store.loading.stages.base import StageState
from atek_store.loading.state import LoaderState, ReadersState, progress_in, reader_epoch

__all__ = ["LoaderProgress", "PassTracker", "chain_skips"]


@dataclass(frozen=True)
class LoaderProgress:
    """What the current (or last) pass has read so far, on this rank (on all ranks when gathered).

    Attributes:
        epoch: the oldest epoch still being read.
        samples: samples taken from each source in that epoch (earlier topologies included).
        skipped: samples and shards the error handler skipped in this pass.
    """

    epoch: int
    samples: Mapping[str, int]
    skipped: SkipCounts


def _walk(state: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    while True:
        yield state
        if "source" not in state:
            return
        state = state["source"]


def chain_skips(state: StageState | None) -> SkipCounts:
    """The skips a reader counted, from its state (finished epochs included)."""
    if state is None:
        return SkipCounts()
    before = state.get("skipped") or [0, 0]
    samples, shards = int(before[0]), int(before[1])
    for stage in _walk(state["chain"]):
        samples += int(stage.get("skipped", 0))
        shards += sum(int(lane["skipped_shards"]) for lane in stage.get("lanes", ()))
    return SkipCounts(samples, shards)


def _gathered(
    local: tuple[int, list[StageState | None], int],
) -> list[tuple[int, list[StageState | None], int]]:
    import torch.distributed as dist  # only when a process group exists

    if not (dist.is_available() and dist.is_initialized()):
        return [local]
    every: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(every, local)
    return every


class PassTracker:
    """The latest state of each of this rank's readers in one pass.

    Args:
        config: the dataset.
        plan: the pass.
    """

    def __init__(self, config: DatasetConfig, plan: PassPlan) -> None:
        self.config = config
        self.plan = plan
        workers = plan.topology.workers
        self.states: list[StageState | None] = (
            list(plan.starts) if plan.starts is not None else [None] * workers
        )
        self._last: int | None = None

    def record(self, stream: int, state: StageState, *, final: bool) -> None:
        """Note the state of reader ``stream`` after an item reached the caller (or after its last one)."""
        self.states[stream] = state
        if not final:
            self._last = stream

    @property
    def next_stream(self) -> int:
        """The stream the next item comes from in the DataLoader's round-robin."""
        if self._last is None:
            return self.plan.rotation
        return (self._last + 1) % self.plan.topology.workers

    def loader_state(self, *, gather: bool = True) -> LoaderState:
        """The resume state of the pass (every rank's readers when ``gather`` and a process group exist).

        Under ``torch.distributed`` this is a collective: call it on every rank.
        """
        plan, topology = self.plan, self.plan.topology
        local = (topology.rank, list(self.states), self.next_stream)
        splitter = plan.partitioning is Partitioning.NODESPLITTER
        ranks = _gathered(local) if gather and not splitter else [local]
        observed = [False] * topology.world_size
        rotation = [0] * topology.world_size
        slots = topology.workers if splitter else topology.readers
        states: list[StageState | None] = [None] * slots
        for rank, rank_states, next_stream in ranks:
            observed[rank] = True
            rotation[rank] = next_stream
            for stream, state in enumerate(rank_states):
                states[stream if splitter else stream * topology.world_size + rank] = state
        # The oldest epoch a known reader is in; a reader that has not started is in the first.
        epochs_in = [
            reader_epoch(state, plan.epoch)
            for reader, state in enumerate(states)
            if splitter or observed[reader % topology.world_size]
        ]
        first = min(epochs_in, default=plan.epoch)
        readers = ReadersState(
            world_size=topology.world_size,
            workers=topology.workers,
            partition=plan.partitioning,
            observed=tuple(observed),
            rotation=tuple(rotation),
            states=tuple(states),
            rank=topology.rank if splitter else None,
        )
        epochs = {epoch: layers for epoch, layers in plan.prior.items() if epoch >= first}
        return LoaderState(self.config.fingerprint(), first, epochs, readers)

    def progress(self) -> LoaderProgress:
        """Samples per source in the oldest open epoch, and the skips, as far as this rank knows."""
        state = self.loader_state(gather=False)
        taken = [0] * len(self.config.names)
        for layer in state.epochs.get(state.epoch, ()):
            for entry in layer.entries:
                if entry is not None:
                    for source, lane in enumerate(entry.lanes):
                        taken[source] += lane.taken
        skipped = SkipCounts()
        for reader_state in self.states:
            skipped += chain_skips(reader_state)
            entry = progress_in(reader_state, state.epoch, first=self.plan.epoch, repeat_done=True)
            if entry is not None:
                for source, lane in enumerate(entry.lanes):
                    taken[source] += lane.taken
        return LoaderProgress(state.epoch, dict(zip(self.config.names, taken, strict=True)), skipped)
