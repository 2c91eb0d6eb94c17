"""Seeded shuffling: seeds derived from (seed, epoch, ...) and a sample shuffle buffer.

No global RNG is touched: every shuffle gets its own :class:`random.Random` seeded from
:func:`derive_seed`, so the same seed gives the same order in every run, every process and every
Python (``hash()`` is salted per process; we hash with sha256 instead).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Iterator
from typing import TypeVar

from atek_store.errors import UsageError

__all__ = ["DEFAULT_SEED", "derive_seed", "shuffle_buffer"]

T = TypeVar("T")

DEFAULT_SEED = 0
"""Seed used when none is given: every rank must agree on the shard order, so it cannot be random."""


def derive_seed(seed: int, *parts: int | str) -> int:
    """A 64-bit seed for one purpose (``"shards"``, ``"samples"``), epoch, rank or worker."""
    text = "/".join(str(part) for part in (seed, *parts))
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")


def shuffle_buffer(items: Iterable[T], *, size: int, initial: int, rng: random.Random) -> Iterator[T]:
    """Yield ``items`` in a locally shuffled order, holding at most ``size`` of them.

    Nothing is yielded until ``initial`` items are buffered; after that every arrival is buffered
    and a randomly chosen buffered item is yielded, and while the buffer is below ``size`` one more
    item is read per item yielded, so it grows to ``size``. At the end the rest is yielded in random
    order. This is the shape of the original's ``shuffle(1000)`` (buffer 1000, first output after
    100), but seeded.

    Raises:
        UsageError: ``size`` < 1 or ``initial`` outside ``1..size``.
    """
    if size < 1:
        raise UsageError(f"the shuffle buffer size must be >= 1, got {size}")
    if not 1 <= initial <= size:
        raise UsageError(f"the initial shuffle fill must be in 1..{size}, got {initial}")
    source = iter(items)
    buffer: list[T] = []
    for item in source:
        buffer.append(item)
        if len(buffer) < initial:
            continue
        if len(buffer) < size:
            for extra in source:
                buffer.append(extra)
                break
        pick = rng.randrange(len(buffer))
        buffer[pick], buffer[-1] = buffer[-1], buffer[pick]
        yield buffer.pop()
    rng.shuffle(buffer)
    yield from buffer
