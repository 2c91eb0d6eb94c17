"""The global order of an epoch: which shard comes when, and in which order its samples come.

The order is a pure function of the seed, the epoch, ``shuffle_flag`` and ``shuffle_window``; it
does not depend on the world size or the number of DataLoader workers. Readers then split it
(:mod:`atek_store.loading.partition`): each reader yields the samples of the shards it owns, in
this order.

A source is read in *rounds*: one per epoch for a plain shard list, as many as its quota needs
for a source of a weighted mixture (:mod:`atek_store.loading.mixing`). In round ``k``:

- the shards are in list order, or, when shuffling, in a seeded permutation (the same on every
  rank, a new one every epoch and round);
- without shuffling, a shard's samples come in tar order;
- with shuffling, consecutive groups of ``shuffle_window`` shards (in the round's order) form a
  window, and inside a window all samples are ordered by a seeded 64-bit hash of
  ``(seed, epoch, round, shard, sample index)``: a uniform shuffle of the window that every reader
  can compute for its own samples alone, without knowing how many samples the other shards hold.

A sample is identified by ``(round, position of its shard in the round's order, index in the
shard)``; :meth:`RoundOrder.key` sorts those ids into the order above.
"""

from __future__ import annotations

import enum
import hashlib
import random

__all__ = ["Coverage", "RoundOrder", "SampleId", "derive_seed"]

SampleId = tuple[int, int, int]
"""``(round, shard position in the round's order, sample index in the shard)``."""


def derive_seed(seed: int, *parts: int | str) -> int:
    """A 64-bit seed for one purpose (``"shards"``, ``"samples"``, ``"mix"``) and its coordinates.

    sha256 rather than ``hash()``: the same seed must give the same order in every process and every
    Python (``hash()`` is salted per process).
    """
    text = "/".join(str(part) for part in (seed, *parts))
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")


class Coverage(enum.Enum):
    """How much of one shard a consumed prefix (a lane position) covers."""

    NONE = "none"
    PARTIAL = "partial"
    FULL = "full"


class RoundOrder:
    """The order of one source's shards and samples, round by round.

    Args:
        num_shards: shards in the source's list.
        seed: the dataset's seed.
        shuffle: permute shards and shuffle samples within windows.
        window: shards per shuffle window.
        scope: what distinguishes this source's rounds from other sources' and epochs'
            (``(epoch,)`` for a plain list, ``(name, epoch)`` for a mixture's source).
    """

    def __init__(
        self, *, num_shards: int, seed: int, shuffle: bool, window: int, scope: tuple[int | str, ...]
    ):
        self.num_shards = num_shards
        self.seed = seed
        self.shuffle = shuffle
        self.window = window
        self.scope = scope
        self._rounds: dict[int, tuple[int, ...]] = {}

    def shards(self, round_: int) -> tuple[int, ...]:
        """The shard list indices in the order round ``round_`` reads them."""
        cached = self._rounds.get(round_)
        if cached is not None:
            return cached
        order = list(range(self.num_shards))
        if self.shuffle:
            seed = derive_seed(self.seed, "shards", *self.scope, *self._round_parts(round_))
            random.Random(seed).shuffle(order)
        if len(self._rounds) >= 4:  # a reader works on one or two rounds at a time
            self._rounds.pop(next(iter(self._rounds)))
        self._rounds[round_] = tuple(order)
        return self._rounds[round_]

    def _round_parts(self, round_: int) -> tuple[int, ...]:
        # A plain list has one round per epoch: its permutation is seeded by the epoch alone, so
        # that round 0 keeps the order earlier versions gave each epoch.
        return (round_,) if round_ else ()

    def group(self, position: int) -> int:
        """The unit whose samples are ordered together: the window (shuffling) or the shard itself."""
        return position // self.window if self.shuffle else position

    def key(self, sample: SampleId) -> tuple[int, ...]:
        """Sort key of a sample in the global order."""
        round_, position, index = sample
        if not self.shuffle:
            return (round_, position, index)
        shard = self.shards(round_)[position]
        rank = derive_seed(self.seed, "samples", *self.scope, round_, shard, index)
        return (round_, position // self.window, rank, position, index)

    def coverage(self, round_: int, position: int, last: SampleId | None, lane_round: int) -> Coverage:
        """How much of shard ``position`` of round ``round_`` a prefix ending at ``last`` covers.

        ``lane_round`` is the round the prefix has reached (all earlier rounds are covered);
        ``last`` the last sample taken in it, or None when nothing of it was taken yet.
        """
        if round_ < lane_round:
            return Coverage.FULL
        if round_ > lane_round or last is None:
            return Coverage.NONE
        mine, theirs = self.group(position), self.group(last[1])
        if mine < theirs:
            return Coverage.FULL
        if mine > theirs:
            return Coverage.NONE
        return Coverage.PARTIAL
