"""The ATEK WebDataset as a PyTorch ``IterableDataset``, with epochs and an exact resume state.

Each (rank, DataLoader worker) is one reader (see :mod:`atek_store.loading.pipeline`). Iterated
in the current process, the dataset tracks its reader's position itself. Under
:class:`~atek_store.loading.dataloader.AtekDataLoader` with workers, each worker sends its
position along with every item, and the loader hands the position of each item to the dataset
as the item reaches the caller; so :meth:`AtekWdsDataset.state_dict` is exact in both cases.
(Under a plain ``torch.utils.data.DataLoader`` with workers the main process never sees the
workers' positions: use ``create_native_atek_dataloader`` when you need resume.)

What is supported, precisely: resuming needs the same shard list, seed, shuffle flag, world size
and number of workers (each rank saves and loads its own state; a mismatch raises
:class:`LoaderError` instead of silently replaying); ``load_state_dict`` then makes the next
iteration start with the first item not yet yielded, in the same order as the interrupted run,
with or without workers, batching or ``repeat_flag``. A ``data_transform_fn`` must yield as soon
as it has consumed what an output needs (one that reads ahead loses what it held). The order
depends on the world size and worker count (shuffling is per reader), so a resumed job cannot
change them. Already-read samples are skipped without decoding, but their shards are read again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from torch.utils.data import IterableDataset, get_worker_info

from atek_store.errors import LoaderError
from atek_store.loading.handler import SkipCounts
from atek_store.loading.pipeline import END, PipelineConfig, ReaderPosition, iter_reader
from atek_store.loading.ring import TensorRing
from atek_store.loading.shards import Topology, current_rank_world, urls_digest, warn_if_idle_readers
from atek_store.loading.transfer import Tagged

__all__ = ["STATE_FORMAT", "AtekWdsDataset", "LoaderSession"]

logger = logging.getLogger(__name__)

STATE_FORMAT = "atek-store/loader-state/1"


@dataclass(frozen=True)
class LoaderSession:
    """What the loader's main process decided for one pass, handed to the readers."""

    rank: int
    world_size: int
    num_streams: int
    starts: tuple[ReaderPosition, ...]
    rotation: int  # reader stream played by worker 0, so a resumed pass keeps the round-robin order
    tag: bool  # send positions along with items (only under AtekDataLoader)
    rings: tuple[TensorRing, ...] = ()  # per worker, for large tensors (only when workers fork)


class AtekWdsDataset(IterableDataset[Any]):
    """An iterable over ATEK samples (or batches) from tar shards; see ``load_atek_wds_dataset``."""

    def __init__(self, config: PipelineConfig) -> None:
        super().__init__()
        self.config = config
        self._digest = urls_digest(config.urls)
        self._epoch = 0
        self._loaded: dict[str, Any] | None = None
        self._session: LoaderSession | None = None
        self._pass: LoaderSession | None = None
        self._positions: dict[int, ReaderPosition] = {}
        self._last_stream: int | None = None

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
        self._loaded = None

    @property
    def skipped(self) -> SkipCounts:
        """Samples and shards the error handler skipped in the current (or last) pass."""
        counts = SkipCounts()
        for position in self._positions.values():
            counts.samples += position.skipped_samples
            counts.shards += position.skipped_shards
        return counts

    def state_dict(self) -> dict[str, Any]:
        """Where the current (or last) pass is: load it into a new dataset to continue exactly there.

        Before any pass it describes the start of the current epoch.
        """
        if self._loaded is not None:
            return dict(self._loaded)
        config = self.config
        state: dict[str, Any] = {
            "format": STATE_FORMAT,
            "epoch": self._epoch,
            "seed": config.seed,
            "shuffle": config.shuffle,
            "repeat": config.repeat,
            "urls": self._digest,
            "readers": None,
        }
        if self._pass is not None:
            streams = self._pass.num_streams
            last = self._last_stream
            state["readers"] = {
                "rank": self._pass.rank,
                "world_size": self._pass.world_size,
                "streams": streams,
                "next_stream": self._pass.rotation if last is None else (last + 1) % streams,
                "positions": [self._positions[s].to_dict() for s in range(streams)],
            }
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Make the next pass continue where ``state`` (from :meth:`state_dict`) was taken.

        Raises:
            LoaderError: the state is malformed, or was taken with another shard list, seed or
                shuffle setting (a different world size or worker count is reported when the pass
                starts, when they are known).
        """
        if not isinstance(state, Mapping) or state.get("format") != STATE_FORMAT:
            raise LoaderError(f"not a loader state of this version (expected format {STATE_FORMAT!r})")
        config = self.config
        for name, mine in (("urls", self._digest), ("seed", config.seed), ("shuffle", config.shuffle)):
            if state.get(name) != mine:
                what = "shard list" if name == "urls" else name
                raise LoaderError(
                    f"cannot resume: the state was taken with another {what} "
                    f"({state.get(name)!r}, this dataset has {mine!r})"
                )
        readers = state.get("readers")
        if readers is not None:
            try:
                positions = [ReaderPosition.from_dict(p) for p in readers["positions"]]
                streams = int(readers["streams"])
                next_stream = int(readers["next_stream"])
                int(readers["rank"]), int(readers["world_size"])
            except (KeyError, TypeError, ValueError) as error:
                raise LoaderError(f"malformed loader state: readers {readers!r} ({error})") from None
            if len(positions) != streams or not 0 <= next_stream < max(1, streams):
                raise LoaderError(f"malformed loader state: readers {readers!r}")
        self._epoch = int(state["epoch"])
        self._loaded = dict(state)

    # -- passes -------------------------------------------------------------------------------

    def begin_pass(self, *, num_workers: int, tag: bool, rings: tuple[TensorRing, ...] = ()) -> LoaderSession:
        """Decide rank, world size and every reader's start for the next pass (in the main process).

        Consumes a loaded state. Called by the loader before its workers start, and by
        ``__iter__`` when iterating in the current process.

        Raises:
            LoaderError: a loaded state does not fit this world size or worker count.
        """
        rank, world = current_rank_world()
        streams = max(1, num_workers)
        Topology(rank, world, 0, streams)  # validates rank and world size
        warn_if_idle_readers(
            self.config.urls, world_size=world, num_workers=num_workers, nodesplitter=self.config.nodesplitter
        )
        starts = tuple(ReaderPosition(self._epoch) for _ in range(streams))
        rotation = 0
        loaded, self._loaded = self._loaded, None
        readers = loaded.get("readers") if loaded else None
        if readers is not None:
            saved = (int(readers["rank"]), int(readers["world_size"]), int(readers["streams"]))
            if saved != (rank, world, streams):
                raise LoaderError(
                    f"cannot resume exactly: the state was taken on rank {saved[0]} of {saved[1]} with "
                    f"{saved[2]} reader(s) per rank (DataLoader workers, 1 for none); this pass is rank "
                    f"{rank} of {world} with {streams}. Resume with the same world size and num_workers, "
                    "and give each rank its own saved state."
                )
            starts = tuple(ReaderPosition.from_dict(p) for p in readers["positions"])
            rotation = int(readers["next_stream"])
        session = LoaderSession(rank, world, streams, starts, rotation, tag, rings)
        self._pass = session
        self._positions = dict(enumerate(starts))
        self._last_stream = None
        return session

    def hand_over(self, session: LoaderSession | None) -> None:
        """Attach the session the next ``__iter__`` uses (in workers: their copy); the loader calls this."""
        self._session = session

    def record(self, item: Tagged) -> None:
        """Note that a worker's item reached the caller (the loader calls this for every item)."""
        self._positions[item.stream] = item.position
        if not item.final:
            self._last_stream = item.stream

    def __iter__(self) -> Iterator[Any]:
        worker = get_worker_info()
        if worker is None:
            # Decide the pass now, not at the first next(): a state loaded meanwhile belongs to it.
            session, self._session = self._session, None
            if session is None or session.num_streams != 1:
                session = self.begin_pass(num_workers=0, tag=False)
            return self._iter_here(session)
        return self._iter_worker(worker.id, worker.num_workers)

    def _iter_here(self, session: LoaderSession) -> Iterator[Any]:
        topology = Topology(session.rank, session.world_size, 0, 1)
        for item, position in iter_reader(self.config, topology, session.starts[0]):
            self._positions[0] = position
            if item is END:
                return
            yield item

    def _iter_worker(self, worker_id: int, num_workers: int) -> Iterator[Any]:
        session = self._session
        if session is None or session.num_streams != num_workers:
            # A plain DataLoader: no session from our loader; read what this worker can know.
            rank, world = current_rank_world()
            session = LoaderSession(
                rank,
                world,
                num_workers,
                tuple(ReaderPosition(self._epoch) for _ in range(num_workers)),
                0,
                False,
            )
        stream = (worker_id + session.rotation) % num_workers
        topology = Topology(session.rank, session.world_size, stream, num_workers)
        ring = session.rings[worker_id] if session.rings else None
        if ring is not None:
            ring.prefault()
        for item, position in iter_reader(self.config, topology, session.starts[stream]):
            if session.tag:
                yield Tagged(None if item is END else item, stream, position, final=item is END, ring=ring)
            elif item is not END:
                yield item
