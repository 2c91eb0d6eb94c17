"""A token bucket per client address, for the access endpoint.

Each address may post ``rate`` times per minute with bursts of ``burst``; a post beyond that is
answered 429 with a ``Retry-After``. Buckets live in memory (per server process) and at most
``max_clients`` of them: the oldest are dropped first, so a flood of addresses cannot grow memory.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimiter"]


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Allow ``rate`` events per minute per key, bursts of ``burst``."""

    def __init__(
        self, *, rate_per_minute: float, burst: int, clock: Callable[[], float], max_clients: int = 10_000
    ) -> None:
        self._rate = rate_per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._max = max_clients
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def check(self, key: str) -> float | None:
        """Take one token for ``key``: None when allowed, else the seconds to wait."""
        now = self._clock()
        bucket = self._buckets.pop(key, None) or _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        self._buckets[key] = bucket
        while len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return math.ceil((1.0 - bucket.tokens) / self._rate)
