"""How patiently the streaming client reads: timeouts, retries, resumes, the stall rule, redirects."""

from __future__ import annotations

from dataclasses import dataclass

from atek_store.errors import UsageError
from atek_store.http.retry import RetryPolicy
from atek_store.http.stall import StallRule

__all__ = ["HttpOptions"]


@dataclass(frozen=True)
class HttpOptions:
    """Timeouts and retry limits of :class:`~atek_store.http.client.HttpClient` (streaming shards).

    Args:
        connect_timeout: seconds to establish a connection.
        read_timeout: seconds without a byte before a read fails (then it resumes); also the
            deadline for a response's status line and headers.
        retries: consecutive failed attempts without progress (no connection, 429/5xx, a stall)
            before giving up.
        backoff: first backoff ceiling between those attempts, in seconds (doubling up to 30 s).
        resumes: immediate ranged re-requests after a connection dropped mid-body.
        max_retry_after_s: longest single wait a server's ``Retry-After`` can impose.
        max_total_wait_s: the most one stream may spend waiting between attempts.
        min_bytes_per_s: the slowest acceptable rate; 0 switches the stall rule off.
        stall_window_s: seconds of waiting over which that rate is measured.
        max_redirects: redirects followed per request (http/https only).
        max_connections: pooled connections per host.
        seed: seeds the backoff jitter.
    """

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 5
    backoff: float = 0.5
    resumes: int = 5
    max_retry_after_s: float = 60.0
    max_total_wait_s: float = 300.0
    min_bytes_per_s: float = 1024.0
    stall_window_s: float = 60.0
    max_redirects: int = 5
    max_connections: int = 4
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout"):
            if not getattr(self, name) > 0:
                raise UsageError(f"{name} must be positive, got {getattr(self, name)}", flag=name)
        for name in ("max_redirects", "max_connections"):
            if getattr(self, name) < (1 if name == "max_connections" else 0):
                raise UsageError(f"{name} is out of range: {getattr(self, name)}", flag=name)
        # The policy and the rule check their own fields.
        self.retry_policy  # noqa: B018
        self.stall_rule  # noqa: B018

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry limits as the engine takes them."""
        return RetryPolicy(
            retries=self.retries,
            base_s=self.backoff,
            max_retry_after_s=self.max_retry_after_s,
            max_total_wait_s=self.max_total_wait_s,
            resumes=self.resumes,
            seed=self.seed,
        )

    @property
    def stall_rule(self) -> StallRule:
        """The stall rule as the engine takes it."""
        return StallRule(min_bytes_per_s=self.min_bytes_per_s, window_s=self.stall_window_s)
