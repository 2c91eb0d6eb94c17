"""The stall rule: a body that arrives slower than a minimum rate over a window fails its attempt.

A read timeout is per receive: a server that trickles one byte every few seconds never trips it.
The rule measures only the time spent *waiting for the network* (inside the transport's reads), not
the time the caller spends between reads, so a slow consumer (a training step) is never mistaken for
a slow server. Each window of ``window_s`` seconds of waiting must bring at least
``min_bytes_per_s * window_s`` bytes, or the attempt ends with a :class:`StallError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from atek_store.errors import StallError, UsageError

__all__ = ["StallGuard", "StallRule"]


@dataclass(frozen=True)
class StallRule:
    """The slowest a transfer may be.

    Args:
        min_bytes_per_s: the rate each window must reach; 0 switches the rule off.
        window_s: seconds of waiting for data over which the rate is measured.
    """

    min_bytes_per_s: float = 1024.0
    window_s: float = 30.0

    def __post_init__(self) -> None:
        if not self.min_bytes_per_s >= 0:
            raise UsageError(
                f"the minimum rate must be 0 or more bytes/s, got {self.min_bytes_per_s}",
                flag="min_bytes_per_s",
            )
        if not self.window_s > 0:
            raise UsageError(f"the stall window must be positive, got {self.window_s} s", flag="window_s")


class StallGuard:
    """Applies a :class:`StallRule` to the reads of one response."""

    def __init__(self, rule: StallRule, *, url: str, clock: Callable[[], float] = time.monotonic) -> None:
        """Guard the response of ``url`` (redacted, for the message); ``clock`` is injectable."""
        self.rule = rule
        self._url = url
        self._clock = clock
        self._waited = 0.0
        self._received = 0

    def timed_read(self, read: Callable[[int], bytes], size: int) -> bytes:
        """``read(size)``, timed; raises :class:`StallError` when a window ends below the rate."""
        started = self._clock()
        data = read(size)
        self.count(len(data), self._clock() - started)
        return data

    def count(self, nbytes: int, waited_s: float) -> None:
        """Account ``nbytes`` that took ``waited_s`` of waiting; raises at the end of a slow window."""
        if self.rule.min_bytes_per_s <= 0:
            return
        self._waited += waited_s
        self._received += nbytes
        if self._waited < self.rule.window_s:
            return
        needed = self.rule.min_bytes_per_s * self._waited
        if self._received < needed:
            raise StallError(
                f"{self._url} stalled: {self._received} bytes in {self._waited:.1f} s of waiting, below the "
                f"minimum of {self.rule.min_bytes_per_s:g} bytes/s; on a link this slow, lengthen the window "
                "(the downloader's --timeout, HttpOptions.stall_window_s) or lower the minimum rate",
                url=self._url,
                received=self._received,
                window_s=self._waited,
                min_bytes_per_s=self.rule.min_bytes_per_s,
            )
        self._waited = 0.0
        self._received = 0
