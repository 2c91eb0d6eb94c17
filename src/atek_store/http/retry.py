"""How often and how long to retry one transfer: exponential backoff with seeded jitter, bounded.

A transfer fails in two ways. An attempt that moved the body forward (the connection dropped
after some bytes) *resumes* at once from where it stopped, using one of ``resumes``. An attempt
that did not (no connection, a 5xx, a 429, a :class:`~atek_store.errors.StallError`) waits and uses
one of ``retries``; ``retries`` counts consecutive failures, so progress resets it. Every wait is
bounded (``Retry-After`` is honoured up to ``max_retry_after_s``) and so is their sum
(``max_total_wait_s``): one transfer can never retry for longer than that, whatever the server says.
Non-retryable errors (404, 401/403, a wrong size) end the transfer at once.
"""

from __future__ import annotations

import copy
import logging
import random
from dataclasses import dataclass

from atek_store.errors import StallError, TransferError, UsageError

__all__ = ["RetryBudget", "RetryPolicy"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """Retry limits of one transfer.

    Attempt n without progress waits ``uniform(d / 2, d)`` with ``d = min(cap_s, base_s * 2**(n-1))``,
    or the server's ``Retry-After`` when that is longer (capped at ``max_retry_after_s``).

    Args:
        retries: consecutive failures without progress allowed before giving up.
        base_s: first backoff ceiling, in seconds.
        cap_s: largest backoff ceiling.
        max_retry_after_s: longest single wait a ``Retry-After`` can impose.
        max_total_wait_s: the most one transfer may spend waiting between attempts, in all.
        resumes: immediate re-requests after an attempt that made progress.
        seed: seeds the jitter (with the transfer's name), so waits are reproducible.
    """

    retries: int = 5
    base_s: float = 1.0
    cap_s: float = 30.0
    max_retry_after_s: float = 60.0
    max_total_wait_s: float = 300.0
    resumes: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("retries", "resumes"):
            if getattr(self, name) < 0:
                raise UsageError(f"{name} must be 0 or more, got {getattr(self, name)}", flag=name)
        for name in ("base_s", "cap_s", "max_retry_after_s", "max_total_wait_s"):
            value = getattr(self, name)
            if not value >= 0:  # also refuses NaN
                raise UsageError(f"{name} must be 0 or more seconds, got {value}", flag=name)

    def delay(self, failures: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait after the ``failures``-th consecutive failure (1-based)."""
        ceiling = min(self.cap_s, self.base_s * 2 ** min(max(failures - 1, 0), 62))
        wait_s = rng.uniform(ceiling / 2, ceiling)
        if retry_after is not None:
            wait_s = max(wait_s, min(retry_after, self.max_retry_after_s))
        return wait_s

    def rng_for(self, name: str) -> random.Random:
        """The jitter source of one transfer: seeded by the policy's seed and the transfer's name.

        One generator per transfer, so concurrent transfers neither share state nor depend on
        the order in which threads run.
        """
        return random.Random(f"{self.seed}:{name}")


class RetryBudget:
    """What is left of a :class:`RetryPolicy` for one transfer; asked after every failed attempt."""

    def __init__(self, policy: RetryPolicy, rng: random.Random) -> None:
        """Start with the whole allowance; ``rng`` draws the jitter."""
        self.policy = policy
        self.failures = 0  # consecutive failures without progress
        self.resumes = 0
        self.waited_s = 0.0
        self._rng = rng

    def next_wait(self, error: TransferError, *, progressed: bool) -> float:
        """Seconds to wait before the next attempt after ``error``; raises when the transfer must stop.

        ``progressed`` says whether the failed attempt moved the body forward; a stall never counts
        as progress. The error raised on giving up is ``error`` itself (same class and fields),
        its message saying why no further attempt is made.
        """
        if not error.retryable:
            raise error
        if progressed and not isinstance(error, StallError):
            self.failures = 0
            self.resumes += 1
            if self.resumes > self.policy.resumes:
                raise _given_up(error, f"gave up after {self.policy.resumes} resumes")
            return 0.0
        self.failures += 1
        if self.failures > self.policy.retries:
            raise _given_up(error, f"gave up after {self.policy.retries} retries")
        wait_s = self.policy.delay(self.failures, self._rng, error.retry_after)
        if self.waited_s + wait_s > self.policy.max_total_wait_s:
            raise _given_up(
                error,
                f"gave up: waiting {wait_s:.1f} s more would exceed the {self.policy.max_total_wait_s:g} s "
                "that one transfer may spend waiting",
            )
        self.waited_s += wait_s
        return wait_s


def _given_up(error: TransferError, why: str) -> TransferError:
    final = copy.copy(error)
    final.message = f"{error.message} ({why})"
    final.args = (final.message,)
    return final
