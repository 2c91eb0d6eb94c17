"""The hand-off of an item from a DataLoader worker to the main process, with its reader's state.

Left to PyTorch, every tensor of an item gets its own new shared-memory segment whose file
descriptor the main process fetches over a fresh authenticated socket connection, and whose
pages fault one by one on both sides. An ATEK sample has 20 to 60 small tensors (calibration,
poses, GT boxes) and one to four large ones (images, depth), so with workers the transfer cost
more than the decoding. :class:`WorkerItem` pickles small tensors by value, and large ones through
the worker's :class:`~atek_store.loading.ring.TensorRing` when it has one (else PyTorch's way).
Tensors keep dtype, shape and strides (a ``channels_last`` image stays ``channels_last``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from atek_store.errors import AtekStoreError
from atek_store.loading.ring import RingSlot, TensorRing, ring_for
from atek_store.loading.stages.base import StageState

__all__ = ["INLINE_MAX_BYTES", "WorkerItem"]

INLINE_MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class _PackedTensor:
    """A CPU tensor's bytes in memory order (by value, or a ring slot) plus how to view them."""

    payload: bytes | RingSlot
    dtype: torch.dtype
    shape: tuple[int, ...]  # in memory order
    order: tuple[int, ...]  # permutation back to the tensor's dimension order

    def tensor(self) -> torch.Tensor:
        if isinstance(self.payload, RingSlot):
            flat = torch.from_numpy(ring_for(self.payload.ring).take(self.payload))
        elif self.payload:
            flat = torch.frombuffer(bytearray(self.payload), dtype=torch.uint8)
        else:
            return torch.empty(self.shape, dtype=self.dtype).permute(self.order)
        return flat.view(self.dtype).reshape(self.shape).permute(self.order)


def _memory_order(tensor: torch.Tensor) -> tuple[torch.Tensor, tuple[int, ...]]:
    """The tensor permuted so that it is contiguous, and the permutation that undoes it.

    Dense tensors in any dimension order (``channels_last`` included) keep their layout; others
    (views with gaps) become contiguous.
    """
    strides, sizes = tensor.stride(), tuple(tensor.shape)
    dims = sorted(range(tensor.dim()), key=lambda d: (-strides[d], -sizes[d]))
    permuted = tensor.permute(dims)
    if not permuted.is_contiguous():
        return tensor.contiguous(), tuple(range(tensor.dim()))
    return permuted, tuple(sorted(range(tensor.dim()), key=dims.__getitem__))


@dataclass
class _Packer:
    """Packs the tensors of one item; large ones go to the ring while the item's share fits."""

    ring: TensorRing | None
    budget: int = field(init=False)

    def __post_init__(self) -> None:
        # An item may hold up at most the whole ring: it can never wait for room it holds itself.
        self.budget = self.ring.capacity if self.ring is not None else 0

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, torch.Tensor) or not _transferable(value):
            return value
        nbytes = value.numel() * value.element_size()
        if nbytes > INLINE_MAX_BYTES and self.ring is None:
            return value  # PyTorch's shared memory
        memory, order = _memory_order(value.detach())
        flat = memory.reshape(-1).view(torch.uint8).numpy()
        payload: bytes | RingSlot | None
        if nbytes <= INLINE_MAX_BYTES:
            payload = flat.tobytes()
        else:
            payload = self.ring.put(flat, budget=self.budget) if self.ring is not None else None
            if payload is None:
                return value
            self.budget -= payload.reserved
        return _PackedTensor(payload, value.dtype, tuple(memory.shape), order)


def _transferable(value: torch.Tensor) -> bool:
    return (
        value.device.type == "cpu"
        and value.layout == torch.strided
        and not value.requires_grad
        and type(value) is torch.Tensor
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


def _unpack_leaf(value: Any) -> Any:
    return value.tensor() if isinstance(value, _PackedTensor) else value


def _rebuild(
    packed: Any, stream: int, state: StageState, final: bool, error: AtekStoreError | None
) -> WorkerItem:
    return WorkerItem(_map_leaves(packed, _unpack_leaf), stream, state, final, error=error)


@dataclass(frozen=True)
class WorkerItem:
    """An item from a reader with the reader's state after it (``value`` None in the last one, ``final``).

    ``error``: the reader's last item may carry the error that ended it, to be raised where the
    item arrives; it crosses from the worker whole (PyTorch would rebuild it from its message
    alone, losing its fields). ``ring`` is the worker's shared ring for large tensors (None:
    PyTorch's shared memory).
    """

    value: Any
    stream: int
    state: StageState
    final: bool = False
    error: AtekStoreError | None = None
    ring: TensorRing | None = field(default=None, compare=False, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        packed = _map_leaves(self.value, _Packer(self.ring))
        return (_rebuild, (packed, self.stream, self.state, self.final, self.error))

    def pin_memory(self) -> WorkerItem:
        """Pin the item's tensors (called by the DataLoader's pin-memory thread)."""
        from torch.utils.data._utils.pin_memory import pin_memory

        pinned = pin_memory(self.value)  # type: ignore[no-untyped-call]
        return WorkerItem(pinned, self.stream, self.state, self.final, error=self.error)
