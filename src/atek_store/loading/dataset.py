"""The ATEK WebDataset as a PyTorch ``IterableDataset``, with epochs and a resume state.

Each (rank, DataLoader worker) runs one reader (:mod:`atek_store.loading.reader`). Iterated in
the current process, the dataset tracks its one reader itself, so :meth:`AtekWdsDataset.state_dict`
is exact. Under :class:`~atek_store.loading.dataloader.AtekDataLoader` the loader tracks the
workers' readers (use its ``state_dict``). Under a plain ``torch.utils.data.DataLoader`` with
workers, a loaded state is honoured but the main process never sees the workers' progress.

What a state resumes (see the README, "Loading at scale"): the same shard lists, seed, shuffle
settings and mixture; any world size and any number of workers. On the same topology the resumed
pass yields the remaining items in the order the interrupted one would have; on another one, each
remaining sample exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from torch.utils.data import IterableDataset, get_worker_info

from atek_store.errors import LoaderError
from atek_store.loading.config import DatasetConfig
from atek_store.loading.handler import SkipCounts
from atek_store.loading.partition import Topology, current_rank_world
from atek_store.loading.plan import PassPlan, plan_pass
from atek_store.loading.reader import open_reader
from atek_store.loading.state import LoaderState
from atek_store.loading.tracker import LoaderProgress, PassTracker

__all__ = ["AtekWdsDataset"]

logger = logging.getLogger(__name__)


class AtekWdsDataset(IterableDataset[Any]):
    """An iterable over ATEK samples (or batches) from tar shards; see ``load_atek_wds_dataset``."""

    def __init__(self, config: DatasetConfig) -> None:
        super().__init__()
        self.config = config
        self._epoch = 0
        self._resume: LoaderState | None = None
        self._tracker: PassTracker | None = None  # the last in-process pass

    # -- epochs and state ---------------------------------------------------------------------

    @property
    def epoch(self) -> int:
        """The epoch the next pass reads (set with :meth:`set_epoch`)."""
        return self._epoch

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch of the next pass: with ``shuffle_flag``, each epoch has its own order."""
        if epoch < 0:
            raise LoaderError(f"epoch must be >= 0, got {epoch}")
        self._epoch = int(epoch)
        self._resume = None
        self._tracker = None

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Make the next pass continue where ``state`` (from a ``state_dict()``) was taken.

        Raises:
            LoaderError: the state is malformed, or was taken with other shard lists, seed, shuffle
                settings or mixture.
        """
        parsed = LoaderState.from_dict(state, sources=len(self.config.sources))
        mine = self.config.fingerprint()
        for name, value in mine.items():
            theirs = parsed.fingerprint.get(name)
            if theirs != value:
                what = {"sources": "shard list", "mixture": "mixture"}.get(name, name)
                raise LoaderError(
                    f"cannot resume: the state was taken with another {what} ({theirs!r}, this dataset "
                    f"has {value!r})"
                )
        self._epoch = parsed.epoch
        self._resume = parsed
        self._tracker = None

    def state_dict(self, *, gather: bool = True) -> dict[str, Any]:
        """Where the current (or last) pass in this process is: load it to continue exactly there.

        Before any pass it describes the start of the current epoch (or the loaded state). With
        ``torch.distributed`` initialised it gathers every rank's readers (a collective: call it on
        every rank, or pass ``gather=False`` for this rank's alone).
        """
        if self._resume is not None:
            return self._resume.to_dict()
        if self._tracker is not None:
            return self._tracker.loader_state(gather=gather).to_dict()
        return LoaderState(self.config.fingerprint(), self._epoch).to_dict()

    def progress(self) -> LoaderProgress:
        """Samples per source and skips of the current (or last) in-process pass."""
        if self._tracker is None:
            return LoaderProgress(self._epoch, dict.fromkeys(self.config.names, 0), SkipCounts())
        return self._tracker.progress()

    @property
    def skipped(self) -> SkipCounts:
        """Samples and shards the error handler skipped in the current (or last) in-process pass."""
        return self.progress().skipped

    # -- passes -------------------------------------------------------------------------------

    def plan_pass(self, topology: Topology, *, warn: bool = True) -> PassPlan:
        """Plan the next pass on ``topology`` (consumes a loaded state); ``warn`` about idle readers.

        Raises:
            LoaderError: a loaded state cannot resume on this topology.
        """
        resume, self._resume = self._resume, None
        return plan_pass(self.config, epoch=self._epoch, resume=resume, topology=topology, warn=warn)

    def __iter__(self) -> Iterator[Any]:
        worker = get_worker_info()
        rank, world = current_rank_world()
        if worker is None:
            # Plan now, not at the first next(): a state loaded meanwhile belongs to this pass.
            plan = self.plan_pass(Topology(rank, world, 1))
            self._tracker = PassTracker(self.config, plan)
            return self._iter_here(plan, self._tracker)
        # A plain DataLoader's worker: its copy of the dataset plans its own share.
        plan = self.plan_pass(Topology(rank, world, worker.num_workers), warn=worker.id == 0)
        return self._iter_worker(plan, plan.stream_of(worker.id))

    def _iter_here(self, plan: PassPlan, tracker: PassTracker) -> Iterator[Any]:
        with open_reader(self.config, plan, 0) as reader:
            for item in reader:
                tracker.record(0, reader.get_state(), final=False)
                yield item
            tracker.record(0, reader.get_state(), final=True)

    def _iter_worker(self, plan: PassPlan, stream: int) -> Iterator[Any]:
        with open_reader(self.config, plan, stream) as reader:
            yield from reader
