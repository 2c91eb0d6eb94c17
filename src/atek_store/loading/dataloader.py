"""A ``torch.utils.data.DataLoader`` for ATEK datasets that knows where every item came from.

It is a plain ``DataLoader`` (``batch_size=None``: batching happens in the dataset, as in the
original) with three additions: ``set_epoch``, ``state_dict`` / ``load_state_dict`` that stay
exact with worker processes, and ``pin_memory`` only when an accelerator is present.

With workers, DataLoader hands out items round-robin over the workers, in order. Each worker
runs one reader and sends its reader position with each item; this loader records the position
when the item reaches the caller. On resume, worker 0 plays the reader that was next in the
round-robin, so the resumed pass yields the remaining items in the order the interrupted pass
would have.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch.utils.data import DataLoader
from torch.utils.data._utils.collate import default_convert

from atek_store.errors import LoaderError
from atek_store.loading.collate import atek_default_collation_fn, simple_list_collation_fn
from atek_store.loading.dataset import AtekWdsDataset
from atek_store.loading.ring import DEFAULT_RING_BYTES, TensorRing
from atek_store.loading.transfer import Tagged

__all__ = ["AtekDataLoader", "accelerator_available"]


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

    Tagged items from workers keep their tag.
    """
    if isinstance(item, Tagged):
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


class AtekDataLoader(DataLoader[Any]):
    """A DataLoader over an :class:`AtekWdsDataset`, with exact resume across workers.

    Args:
        dataset: the dataset (batching, if any, is part of it).
        num_workers: worker processes; each reads its own share of the shards.
        pin_memory: pin batches in page-locked memory; None (default) pins only when an
            accelerator is available.
        **kwargs: passed on to ``torch.utils.data.DataLoader`` (``timeout``,
            ``multiprocessing_context``, ``prefetch_factor``, ``worker_init_fn``...). ``batch_size``,
            ``sampler``, ``collate_fn`` and ``persistent_workers`` are fixed by this class.
    """

    dataset: AtekWdsDataset

    def __init__(
        self, dataset: AtekWdsDataset, *, num_workers: int = 0, pin_memory: bool | None = None, **kwargs: Any
    ) -> None:
        if not isinstance(dataset, AtekWdsDataset):
            raise LoaderError(f"AtekDataLoader needs an AtekWdsDataset, got {type(dataset).__name__}")
        fixed = {"batch_size", "sampler", "batch_sampler", "collate_fn", "persistent_workers", "shuffle"}
        clash = sorted(fixed & kwargs.keys())
        if clash:
            raise LoaderError(
                f"AtekDataLoader sets {', '.join(clash)} itself: batch and shuffle with the dataset's "
                "batch_size and shuffle_flag instead"
            )
        if num_workers < 0:
            raise LoaderError(f"num_workers must be >= 0, got {num_workers}")
        self._idle_rings: tuple[TensorRing, ...] | None = None
        super().__init__(
            dataset,
            batch_size=None,
            num_workers=num_workers,
            pin_memory=accelerator_available() if pin_memory is None else pin_memory,
            collate_fn=convert_item if _may_hold_numpy(dataset) else pass_item,
            **kwargs,
        )

    def __iter__(self) -> Iterator[Any]:  # type: ignore[override]
        rings = self._rings_for_pass()
        session = self.dataset.begin_pass(num_workers=self.num_workers, tag=self.num_workers > 0, rings=rings)
        self.dataset.hand_over(session)
        try:
            inner = super().__iter__()  # workers start here, with the session in their copy
        finally:
            if self.num_workers > 0:
                self.dataset.hand_over(None)  # the workers have their copies
        return self._unwrap(inner, rings)

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

    def _unwrap(self, inner: Iterator[Any], rings: tuple[TensorRing, ...]) -> Iterator[Any]:
        for item in inner:
            if isinstance(item, Tagged):
                self.dataset.record(item)
                if item.final:
                    continue
                yield item.value
            else:
                yield item
        # The pass ended and its workers are gone: the next pass may reuse the rings (their
        # pages are already mapped here). An abandoned pass's rings are never reused.
        self._idle_rings = rings

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch of the next pass (see :meth:`AtekWdsDataset.set_epoch`)."""
        self.dataset.set_epoch(epoch)

    def state_dict(self) -> dict[str, Any]:
        """The dataset's resume state (see :meth:`AtekWdsDataset.state_dict`)."""
        return self.dataset.state_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Resume from a state (see :meth:`AtekWdsDataset.load_state_dict`)."""
        self.dataset.load_state_dict(state)
