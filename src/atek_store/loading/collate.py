"""Turning a list of samples into one batch, with the original's rules.

:func:`atek_default_collation_fn`: the keys come from the first sample; per key, tensors that all
have the same shape and dtype are stacked along a new leading dimension, anything else becomes a
list (so ``gt_data`` is a list of dicts and per-frame semidense points a list of lists).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import torch

from atek_store.errors import LoaderError, UsageError

__all__ = ["atek_default_collation_fn", "batch_collation", "simple_list_collation_fn"]

logger = logging.getLogger(__name__)


def _stackable(values: list[Any]) -> bool:
    first = values[0]
    if not isinstance(first, torch.Tensor):
        return False
    return all(
        isinstance(value, torch.Tensor) and value.shape == first.shape and value.dtype == first.dtype
        for value in values
    )


def atek_default_collation_fn(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Collate samples into a batch dict: stack equal-shaped tensors, keep everything else as lists.

    An empty list gives ``{}``. Keys are taken from the first sample, as in the original.

    Raises:
        LoaderError: a later sample lacks a key the first one has.
    """
    if not samples:
        return {}
    batch: dict[str, Any] = {}
    for key in samples[0]:
        values = []
        for index, sample in enumerate(samples):
            if key not in sample:
                raise LoaderError(
                    f"cannot collate key {key!r}: sample {index} of the batch "
                    f"({sample.get('__key__', '?')!r}) does not have it, but the first sample does"
                )
            values.append(sample[key])
        if _stackable(values):
            batch[key] = torch.stack(values)
        else:
            if isinstance(values[0], torch.Tensor):
                # The original prints this to stdout; a debug log is enough to find out why.
                logger.debug("key %r: tensors differ in shape or dtype, kept as a list", key)
            batch[key] = values
    return batch


def simple_list_collation_fn(samples: list[Any]) -> list[Any]:
    """Return the samples unchanged, as a list (for adaptors whose batches are lists of dicts)."""
    return list(samples)


def batch_collation(collation_fn: Callable[[list[Any]], Any] | None) -> Callable[[list[Any]], Any]:
    """The function that turns a list of items into a batch; None keeps the list, as in the original.

    The original hands ``collation_fn`` to WebDataset's ``batched``, which yields the plain list when
    it is None (EFM3D's inference loader passes None).

    Raises:
        UsageError: ``collation_fn`` is neither None nor callable.
    """
    if collation_fn is None:
        return simple_list_collation_fn
    if not callable(collation_fn):
        raise UsageError(
            f"collation_fn must be None or a function from a list of items to a batch, got {collation_fn!r}",
            flag="collation_fn",
        )
    return collation_fn
