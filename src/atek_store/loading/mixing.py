"""Weighted mixing: several shard lists read as one loader, in fixed proportions per epoch.

An epoch of a :class:`Mixture` holds exactly ``epoch_size`` samples: source ``s`` gives
``quota_s``, its weight's share of ``epoch_size`` (largest remainders rounded up, so the quotas add
up). A source is read in rounds (each a full pass in a new seeded order): a small source with a
large quota repeats within the epoch, a large one gives a fresh seeded subset each epoch (with
``shuffle_flag``; without it, each epoch starts at the head of every list). Each reader takes its
share of every quota, in a seeded shuffled order, so the counts per epoch are exact (no sampling
noise: the only tolerance is the rounding of the quotas, under one sample per source).

After a resume on another topology the quotas still left are split over the new readers, so the
epoch keeps its exact counts.
"""

from __future__ import annotations

import math
import os
import random
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from atek_store.errors import UsageError
from atek_store.loading.shards import expand_urls

__all__ = ["Mixture", "reader_quotas", "schedule"]

Urls = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


@dataclass(frozen=True)
class Mixture:
    """Shard lists mixed with weights; build it with :meth:`of`.

    Attributes:
        names: the sources' names, in the order given.
        urls: each source's shards.
        weights: each source's weight (normalised when the quotas are computed).
        epoch_size: samples per epoch, over all sources.
    """

    names: tuple[str, ...]
    urls: tuple[tuple[str, ...], ...]
    weights: tuple[float, ...]
    epoch_size: int

    @classmethod
    def of(cls, sources: Mapping[str, Urls], *, weights: Mapping[str, float], epoch_size: int) -> Mixture:
        """Mix named shard lists (e.g. ``{"adt": adt_urls, "ase": ase_urls}``) with weights.

        Args:
            sources: name -> shard list (a list, or one string with braces).
            weights: name -> relative weight (``{"adt": 1, "ase": 3}`` gives 25% ADT).
            epoch_size: samples per epoch over all sources (the sizes of streamed shards are not known
                up front, so it cannot default to them).

        Raises:
            UsageError: no sources, weights that do not name exactly the sources, a weight that is not
                a positive number, an epoch size that is not a positive integer, or a source whose
                share of the epoch rounds to no sample at all.
        """
        if not isinstance(sources, Mapping) or not sources:
            raise UsageError("a mixture needs a dict of at least one name -> shard list", flag="sources")
        names = tuple(str(name) for name in sources)
        missing = [name for name in names if name not in weights]
        unknown = [name for name in weights if name not in sources]
        if missing or unknown:
            parts = [f"no weight for {missing}"] if missing else []
            parts += [f"weights for unknown {unknown}"] if unknown else []
            raise UsageError(
                f"mixture weights must name exactly the sources {list(names)}: {'; '.join(parts)}",
                flag="weights",
            )
        chosen = []
        for name in names:
            weight = weights[name]
            if (
                isinstance(weight, bool)
                or not isinstance(weight, int | float)
                or not math.isfinite(weight)
                or weight <= 0
            ):
                raise UsageError(
                    f"the weight of source {name!r} must be a positive number, got {weight!r}", flag="weights"
                )
            chosen.append(float(weight))
        if isinstance(epoch_size, bool) or not isinstance(epoch_size, int) or epoch_size < 1:
            raise UsageError(
                f"epoch_size must be a positive number of samples, got {epoch_size!r}", flag="epoch_size"
            )
        mixture = cls(
            names, tuple(tuple(expand_urls(sources[name])) for name in names), tuple(chosen), epoch_size
        )
        empty = [name for name, quota in zip(names, mixture.quotas(), strict=True) if quota == 0]
        if empty:
            raise UsageError(
                f"source(s) {empty} get no sample in an epoch of {epoch_size}: raise their weight or "
                "epoch_size",
                flag="weights",
            )
        return mixture

    def quotas(self) -> tuple[int, ...]:
        """Samples per epoch of each source: weight shares of ``epoch_size``, adding up to it exactly."""
        total = sum(self.weights)
        exact = [weight / total * self.epoch_size for weight in self.weights]
        quotas = [math.floor(share) for share in exact]
        # Largest remainders get the leftover samples; ties go to the earlier source.
        by_remainder = sorted(range(len(exact)), key=lambda s: (-(exact[s] - quotas[s]), s))
        for source in by_remainder[: self.epoch_size - sum(quotas)]:
            quotas[source] += 1
        return tuple(quotas)


def reader_quotas(remaining: Sequence[int], *, readers: int, reader: int) -> tuple[int, ...]:
    """One reader's share of what is left of each source's quota.

    Shares differ by at most one sample, and the readers that get one more rotate from source to
    source, so every reader's total is within one sample of every other's.
    """
    shares = []
    offset = 0
    for left in remaining:
        base, extra = divmod(left, readers)
        shares.append(base + (1 if (reader - offset) % readers < extra else 0))
        offset = (offset + extra) % readers
    return tuple(shares)


def schedule(quotas: Sequence[int], rng: random.Random) -> array[int]:
    """Which source each of a reader's samples comes from: its quotas, in a seeded shuffled order."""
    labels = array("H")
    for source, quota in enumerate(quotas):
        labels.extend([source] * quota)
    for index in range(len(labels) - 1, 0, -1):  # Fisher-Yates on the compact array
        pick = rng.randrange(index + 1)
        labels[index], labels[pick] = labels[pick], labels[index]
    return labels
