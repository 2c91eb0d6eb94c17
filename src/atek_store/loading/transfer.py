"""How an item crosses from a DataLoader worker to the main process, with its reader position.

PyTorch sends every tensor of an item through its own shared-memory segment, and the main
process fetches each segment's file descriptor over a fresh authenticated socket connection:
about a millisecond per tensor. An ATEK sample has 20 to 60 small tensors (calibration, poses,
GT boxes), so with workers the main process spent most of its time receiving descriptors and
became the bottleneck. :class:`Tagged` therefore pickles tensors under 256 KiB by value (one
copy of a few KB each) and leaves only the large ones (images, depth) to shared memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from atek_store.loading.pipeline import ReaderPosition

__all__ = ["INLINE_MAX_BYTES", "Tagged"]

INLINE_MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class _InlineTensor:
    """A small CPU tensor as plain bytes (contiguous; dtype and shape kept)."""

    data: bytes
    dtype: torch.dtype
    shape: tuple[int, ...]

    @classmethod
    def of(cls, tensor: torch.Tensor) -> _InlineTensor:
        flat = tensor.detach().contiguous().reshape(-1).view(torch.uint8)
        return cls(flat.numpy().tobytes(), tensor.dtype, tuple(tensor.shape))

    def tensor(self) -> torch.Tensor:
        if not self.data:
            return torch.empty(self.shape, dtype=self.dtype)
        flat = torch.frombuffer(bytearray(self.data), dtype=torch.uint8)
        return flat.view(self.dtype).reshape(self.shape)


def _inlinable(value: torch.Tensor) -> bool:
    return (
        value.device.type == "cpu"
        and value.layout == torch.strided
        and not value.requires_grad
        and type(value) is torch.Tensor
        and value.numel() * value.element_size() <= INLINE_MAX_BYTES
    )


def _map_leaves(value: Any, leaf: Callable[[Any], Any]) -> Any:
    """Apply ``leaf`` to every value inside plain dicts, lists and tuples, keeping the structure."""
    if type(value) is dict:
        return {key: _map_leaves(item, leaf) for key, item in value.items()}
    if type(value) is list:
        return [_map_leaves(item, leaf) for item in value]
    if type(value) is tuple:
        return tuple(_map_leaves(item, leaf) for item in value)
    return leaf(value)


def _pack_leaf(value: Any) -> Any:
    if isinstance(value, torch.Tensor) and _inlinable(value):
        return _InlineTensor.of(value)
    return value


def _unpack_leaf(value: Any) -> Any:
    return value.tensor() if isinstance(value, _InlineTensor) else value


def _rebuild(packed: Any, stream: int, position: ReaderPosition, final: bool) -> Tagged:
    return Tagged(_map_leaves(packed, _unpack_leaf), stream, position, final)


@dataclass(frozen=True)
class Tagged:
    """An item from a DataLoader worker with the reader position after it (``value`` None at the end)."""

    value: Any
    stream: int
    position: ReaderPosition
    final: bool = False

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (_map_leaves(self.value, _pack_leaf), self.stream, self.position, self.final))

    def pin_memory(self) -> Tagged:
        """Pin the item's tensors (called by the DataLoader's pin-memory thread)."""
        from torch.utils.data._utils.pin_memory import pin_memory

        pinned = pin_memory(self.value)  # type: ignore[no-untyped-call]
        return Tagged(pinned, self.stream, self.position, self.final)
