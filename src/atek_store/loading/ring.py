"""A ring of shared memory through which one DataLoader worker hands large tensors to the main process.

PyTorch moves every tensor a worker returns into a *new* shared-memory segment, and each new
segment costs a page fault per 4 KiB page, in the worker that fills it and again in the main
process that reads it (shared memory gets no transparent huge pages). For a 1408x1408 RGB frame
that is about 1,500 faults on each side, more than the JPEG decode itself on a virtual machine.

A :class:`TensorRing` is one shared mapping per worker, made by the main process before the
workers fork and reused round after round: the worker copies a tensor's bytes in (warm pages,
no faults after the first lap) and sends only the place; the main process copies the bytes out
into ordinary memory (huge pages, few faults) as it unpickles the item, and frees the place.
Places are freed in the order they were taken, because a worker's items reach the main process
in the order it sent them; a worker waits for room only when the main process is that far behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import mmap
import os
import time
import uuid
import weakref
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from typing import Any

import numpy as np

from atek_store.errors import LoaderError

__all__ = ["DEFAULT_RING_BYTES", "RingSlot", "TensorRing", "ring_for"]

DEFAULT_RING_BYTES = 32 * 2**20
_ALIGN = 64
_WAIT_SECONDS = 0.0002
_MADV_POPULATE_WRITE = getattr(mmap, "MADV_POPULATE_WRITE", 23)  # Linux >= 5.14

# Live rings of this process by id, so that unpickling (a module-level function) can find them.
_RINGS: weakref.WeakValueDictionary[str, TensorRing] = weakref.WeakValueDictionary()


@dataclass(frozen=True)
class RingSlot:
    """Where a worker put some bytes: ``nbytes`` at ``offset``; ``reserved`` counts wrap padding too."""

    ring: str
    offset: int
    nbytes: int
    reserved: int


class TensorRing:
    """Shared memory between the main process and one forked worker; see the module docstring.

    Args:
        capacity: bytes of the ring.
        context: the multiprocessing context of the DataLoader (must fork, so the mapping is inherited).
    """

    def __init__(self, capacity: int, context: BaseContext) -> None:
        self.id = uuid.uuid4().hex
        self.capacity = capacity
        self._memory = mmap.mmap(-1, capacity)  # anonymous and shared: forked workers see it
        self._bytes = np.frombuffer(self._memory, dtype=np.uint8)
        # Freed bytes, written by the main process; the lock also orders the copies around it.
        self._released: Any = context.Value(ctypes.c_uint64, 0)
        self._written = 0  # taken bytes, known only to the worker that writes
        self._owner = os.getpid()
        self.prefault()
        _RINGS[self.id] = self

    def prefault(self) -> None:
        """Map all of the ring into this process's page tables at once (one call, not a fault per page).

        A forked worker inherits the mapping but not its page-table entries; filling them in
        bulk is several times cheaper than faulting 8,000 pages one by one. Best effort: kernels
        before 5.14 lack ``MADV_POPULATE_WRITE`` and fault on first touch as usual.
        """
        with contextlib.suppress(OSError, ValueError):
            self._memory.madvise(_MADV_POPULATE_WRITE)

    def reset(self) -> None:
        """Forget every place (main process, before the next pass's workers fork)."""
        with self._released.get_lock():
            self._released.value = 0
        self._written = 0

    def put(self, data: np.ndarray, *, budget: int) -> RingSlot | None:
        """Worker side: copy ``data`` (1-D uint8) into the ring; None if it needs more than ``budget`` bytes.

        Waits while the main process has not yet taken out what would be overwritten.

        Raises:
            LoaderError: the main process is gone.
        """
        size = -(-data.nbytes // _ALIGN) * _ALIGN
        start = self._written % self.capacity
        padding = self.capacity - start if start + size > self.capacity else 0
        needed = padding + size
        if needed > budget:
            return None
        while self._written + needed - int(self._released.value) > self.capacity:
            if os.getppid() != self._owner:
                raise LoaderError("the DataLoader's main process is gone; this worker stops")
            time.sleep(_WAIT_SECONDS)
        offset = 0 if padding else start
        self._bytes[offset : offset + data.nbytes] = data
        self._written += needed
        return RingSlot(self.id, offset, data.nbytes, needed)

    def take(self, slot: RingSlot) -> np.ndarray:
        """Main side: copy a slot's bytes out into new (ordinary) memory and free its place."""
        out = np.empty(slot.nbytes, dtype=np.uint8)
        np.copyto(out, self._bytes[slot.offset : slot.offset + slot.nbytes])
        with self._released.get_lock():
            self._released.value += slot.reserved
        return out


def ring_for(ring_id: str) -> TensorRing:
    """The live ring with this id in this process.

    Raises:
        LoaderError: the ring is gone (its DataLoader iterator was discarded).
    """
    ring = _RINGS.get(ring_id)
    if ring is None:
        raise LoaderError("an item arrived for a DataLoader pass that was already discarded")
    return ring
