"""A ``torch.utils.data.DataLoader`` for ATEK datasets that knows where every item came from.

It is a plain ``DataLoader`` (``batch_size=None``: batching happens in the dataset, as in the
original) with three additions: ``set_epoch``, ``state_dict`` / ``load_state_dict`` that stay
exact with worker processes (and across ranks), and ``pin_memory`` only when an accelerator is
present.

The DataLoader iterates a :class:`LoaderFeed`: each worker runs one reader and sends the
reader's state along with each item; the loader only aggregates those states (a
:class:`~atek_store.loading.tracker.PassTracker`), recording a state when its item reaches the
caller. On a resume on the same topology, worker 0 plays the reader that was next in the
DataLoader's round-robin, so the resumed pass yields the remaining items in the order the
interrupted pass would have.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info
from torch.utils.data._utils.collate import default_convert

from atek_store.errors import AtekStoreError, LoaderError, UsageError
from atek_store.loading.collate import atek_default_collation_fn, simple_list_collation_fn
from atek_store.loading.dataset import AtekWdsDataset
from atek_store.loading.handler import SkipCounts
from atek_store.loading.handoff import WorkerItem
from atek_store.loading.options import parse_worker_options
from atek_store.loading.partition import Topology, current_rank_world
from atek_store.loading.plan import PassPlan
from atek_store.loading.reader import open_reader
from atek_store.loading.ring import DEFAULT_RING_BYTES, TensorRing
from atek_store.loading.tracker import LoaderProgress, PassTracker

__all__ = ["AtekDataLoader", "LoaderFeed", "accelerator_available"]


def accelerator_available() -> bool:
    """Whether pinned memory can help: an accelerator (CUDA, XPU, MPS...) is present."""
    accelerator = getattr(torch, "accelerator", None)
    if accelerator is not None:
        return bool(accelerator.is_available())
    return bool(torch.cuda.is_available())


def _start_method(context: Any) -> str | None:
    """How the DataLoader will start workers, without fixing the program's default start method."""
    if context is not None:  # DataLoader turns a name into a context object
        return str(context.get_start_method())
    chosen = multiprocessing.get_start_method(allow_none=True)
    return chosen if chosen is not None else multiprocessing.get_all_start_methods()[0]


def convert_item(item: Any) -> Any:
    """The DataLoader's ``collate_fn``: numpy arrays become tensors (as the original's loader does).

    Items from readers keep their reader's state.
    """
    if isinstance(item, WorkerItem):
        value = default_convert(item.value)  # type: ignore[no-untyped-call]
        return dataclasses.replace(item, value=value)
    return default_convert(item)  # type: ignore[no-untyped-call]


def pass_item(item: Any) -> Any:
    """The DataLoader's ``collate_fn`` when items cannot hold numpy arrays: nothing to convert."""
    return item


def _may_hold_numpy(dataset: AtekWdsDataset) -> bool:
    # Decoded samples hold only tensors, strings, dicts and lists; numpy can only come from
    # user code (a transform or a collation function of their own).
    config = dataset.config
    builtin = (atek_default_collation_fn, simple_list_collation_fn)
    return config.data_transform_fn is not None or (
        config.batch_size is not None and config.collation_fn not in builtin
    )


class LoaderFeed(IterableDataset[Any]):
    """What the DataLoader under :class:`AtekDataLoader` iterates: readers' items with their states.

    The loader sets the pass's plan (and the workers' rings) before each pass; each worker (or the
    main process, without workers) runs the reader its plan gives it.
    """

    def __init__(self, dataset: AtekWdsDataset) -> None:
        super().__init__()
        self.dataset = dataset
        self.plan: PassPlan | None = None
        self.rings: tuple[TensorRing, ...] = ()

    def __iter__(self) -> Iterator[WorkerItem]:
        plan = self.plan
        if plan is None:
            raise LoaderError("a LoaderFeed is iterated by its AtekDataLoader, which plans each pass")
        worker = get_worker_info()
        slot = 0 if worker is None else worker.id
        return self._items(plan, plan.stream_of(slot), self.rings[slot] if self.rings else None)

    def _items(self, plan: PassPlan, stream: int, ring: TensorRing | None) -> Iterator[WorkerItem]:
        if ring is not None:
            ring.prefault()
        with open_reader(self.dataset.config, plan, stream) as reader:
            try:
                for item in reader:
                    yield WorkerItem(item, stream, reader.get_state(), ring=ring)
            except AtekStoreError as error:  # ours: handed over whole, fields and all
                yield WorkerItem(None, stream, reader.get_state(), final=True, error=error)
                return
            yield WorkerItem(None, stream, reader.get_state(), final=True)


class AtekDataLoader(DataLoader[Any]):
    """A DataLoader over an :class:`AtekWdsDataset`, with exact resume across workers and ranks.

    Args:
        dataset: the dataset (batching, if any, is part of it).
        num_workers: worker processes; each reads its own share of the shards.
        pin_memory: pin batches in page-locked memory; None (default) pins only when an
            accelerator is available.
        **options: ``timeout``, ``prefetch_factor``, ``multiprocessing_context``, ``worker_init_fn``
            (see :class:`~atek_store.loading.options.WorkerOptions`); ``batch_size``, ``sampler``,
            ``collate_fn`` and ``persistent_workers`` are fixed by this class.
    """

    def __init__(
        self, dataset: AtekWdsDataset, *, num_workers: int = 0, pin_memory: bool | None = None, **options: Any
    ) -> None:
        if not isinstance(dataset, AtekWdsDataset):
            raise UsageError(f"AtekDataLoader needs an AtekWdsDataset, got {type(dataset).__name__}")
        if not isinstance(num_workers, int) or num_workers < 0:
            raise UsageError(f"num_workers must be an integer >= 0, got {num_workers!r}", flag="num_workers")
        worker_options = parse_worker_options({"pin_memory": pin_memory, **options})
        self.atek_dataset = dataset
        self.worker_options = worker_options
        self._feed = LoaderFeed(dataset)
        self._tracker: PassTracker | None = None
        self._idle_rings: tuple[TensorRing, ...] | None = None
        pin = worker_options.pin_memory
        super().__init__(
            self._feed,
            batch_size=None,
            num_workers=num_workers,
            pin_memory=accelerator_available() if pin is None else pin,
            collate_fn=convert_item if _may_hold_numpy(dataset) else pass_item,
            **worker_options.dataloader_kwargs(),
        )

    def __iter__(self) -> Iterator[Any]:  # type: ignore[override]
        rank, world = current_rank_world()
        plan = self.atek_dataset.plan_pass(Topology(rank, world, max(1, self.num_workers)))
        rings = self._rings_for_pass()
        self._feed.plan, self._feed.rings = plan, rings  # the workers start with copies of both
        tracker = PassTracker(self.atek_dataset.config, plan)
        self._tracker = tracker
        return self._unwrap(super().__iter__(), tracker, rings)

    def _rings_for_pass(self) -> tuple[TensorRing, ...]:
        """Shared rings for the workers' large tensors: reused after a finished pass, else new."""
        if self.num_workers == 0 or _start_method(self.multiprocessing_context) != "fork":
            return ()
        if self._idle_rings is None or len(self._idle_rings) != self.num_workers:
            context = multiprocessing.get_context("fork")
            self._idle_rings = tuple(TensorRing(DEFAULT_RING_BYTES, context) for _ in range(self.num_workers))
        rings, self._idle_rings = self._idle_rings, None
        for ring in rings:
            ring.reset()
        return rings

    def _unwrap(
        self, inner: Iterator[Any], tracker: PassTracker, rings: tuple[TensorRing, ...]
    ) -> Iterator[Any]:
        try:
            for item in inner:
                tracker.record(item.stream, item.state, final=item.final)
                if item.error is not None:
                    raise item.error
                if not item.final:
                    yield item.value
        except Exception as error:
            if not self.num_workers:
                raise
            # PyTorch's frames in the traceback hold its iterator, and with it the workers, until a
            # garbage collection finds the cycle, late; its shutdown then waits out a 5 s join per
            # worker. Dropping them (our errors name shard and member, another error carries the
            # worker's traceback in its message) lets the workers stop as the error leaves here.
            del inner
            raise error.with_traceback(None) from error.__cause__
        # The pass ended and its workers are gone: the next pass may reuse the rings (their
        # pages are already mapped here). An abandoned pass's rings are never reused.
        self._idle_rings = rings

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch of the next pass (see :meth:`AtekWdsDataset.set_epoch`)."""
        self.atek_dataset.set_epoch(epoch)
        self._tracker = None

    def state_dict(self, *, gather: bool = True) -> dict[str, Any]:
        """The resume state of the current (or last) pass, every worker's reader included.

        With ``torch.distributed`` initialised it covers every rank (a collective: call it on every
        rank; ``gather=False`` gives this rank's readers alone). Load it with
        :meth:`load_state_dict` on any world size and number of workers.
        """
        if self._tracker is None:
            return self.atek_dataset.state_dict(gather=gather)
        return self._tracker.loader_state(gather=gather).to_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Resume from a state (see :meth:`AtekWdsDataset.load_state_dict`)."""
        self.atek_dataset.load_state_dict(state)
        self._tracker = None

    def progress(self) -> LoaderProgress:
        """Samples per source and skips of the current (or last) pass, on this rank."""
        if self._tracker is None:
            return self.atek_dataset.progress()
        return self._tracker.progress()

    @property
    def skipped(self) -> SkipCounts:
        """Samples and shards the error handler skipped in the current (or last) pass, on this rank."""
        return self.progress().skipped
