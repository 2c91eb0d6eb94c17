"""The one transfer engine: a body read to its end across dropped connections, under a retry budget.

Both the downloader (into a ``.part`` file) and the loader's streaming (a file-like stream) read
through :class:`ResumableGet`. Each attempt is one :func:`~atek_store.http.ranged.open_ranged`
from the current position; when it fails, the :class:`~atek_store.http.retry.RetryBudget` says
whether to resume at once (the attempt made progress), wait and retry, or give up. The clock, the
sleep and the jitter are injected, so tests never wait for real.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator

from atek_store.errors import TransferError
from atek_store.http.ranged import RangedBody, open_ranged
from atek_store.http.redact import redact_url
from atek_store.http.retry import RetryBudget, RetryPolicy
from atek_store.http.stall import StallRule
from atek_store.http.transport import Transport

__all__ = ["ResumableGet"]

_log = logging.getLogger(__name__)


class ResumableGet:
    """Bytes ``[start, end)`` of a URL, re-requested from where they stopped after a transient failure.

    Attributes:
        position: offset of the next byte :meth:`read` returns.
        attempts: requests made so far (the first one included).
    """

    def __init__(
        self,
        transport: Transport,
        url: str,
        *,
        start: int = 0,
        end: int | None = None,
        expected_size: int | None = None,
        name: str | None = None,
        policy: RetryPolicy | None = None,
        stall: StallRule | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        """Prepare the transfer; nothing is requested before :meth:`open` or the first :meth:`read`.

        Args:
            transport: where the bytes come from.
            url: the URL (never shown: messages use ``name`` or the redacted URL).
            start: first byte wanted.
            end: one past the last byte wanted (None: to the end of the file).
            expected_size: the size the whole file must have (checked against what the server declares).
            name: what messages call this transfer.
            policy: retry limits (default :class:`RetryPolicy`).
            stall: the slowest acceptable rate (default :class:`StallRule`).
            clock: monotonic seconds, for the stall rule.
            sleep: waits between attempts (the downloader's raises when the run stops).
            rng: jitter source (default: seeded by the policy's seed and ``name``).
        """
        self.url = url
        self.name = name or redact_url(url)
        self.position = start
        self.attempts = 0
        self._transport = transport
        self._end = end
        self._expected_size = expected_size
        self._policy = policy or RetryPolicy()
        self._stall = stall or StallRule()
        self._clock = clock
        self._sleep = sleep
        self._budget = RetryBudget(self._policy, rng or self._policy.rng_for(self.name))
        self._body: RangedBody | None = None
        self._attempt_from = start
        self._done = False

    @property
    def total(self) -> int | None:
        """The file's size, once an answer declared it (or the expected size)."""
        if self._body is not None and self._body.total is not None:
            return self._body.total
        return self._expected_size

    def open(self) -> None:
        """Make the first request now (with retries), so that a refusal surfaces before any read."""
        if self._body is None and not self._done:
            self._body = self._connect()

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes from :attr:`position`; ``b""`` at the end. Resumes by itself."""
        while not self._done:
            if self._body is None:
                self._body = self._connect()
            try:
                data = self._body.read(size)
            except TransferError as error:
                self._drop_body()
                self._wait_after(error)
                continue
            if data:
                self.position += len(data)
                return data
            self._drop_body()
            self._done = True
        return b""

    def chunks(self, size: int) -> Iterator[bytes]:
        """The rest of the body in pieces of up to ``size`` bytes."""
        while data := self.read(size):
            yield data

    def close(self) -> None:
        """Drop the current connection (an unread remainder must not reach the next request)."""
        self._drop_body()
        self._done = True

    def _connect(self) -> RangedBody:
        while True:
            self.attempts += 1
            self._attempt_from = self.position
            try:
                return open_ranged(
                    self._transport,
                    self.url,
                    start=self.position,
                    end=self._end,
                    expected_size=self._expected_size,
                    name=self.name,
                    stall=self._stall,
                    clock=self._clock,
                )
            except TransferError as error:
                self._wait_after(error)

    def _wait_after(self, error: TransferError) -> None:
        """Account a failed attempt; sleep before the next one, or raise when there is none."""
        progressed = self.position > self._attempt_from
        wait_s = self._budget.next_wait(error, progressed=progressed)
        if progressed:
            _log.info("%s: %s; resuming at byte %d", self.name, error, self.position)
        else:
            _log.info("%s: %s; retry %d in %.1f s", self.name, error, self._budget.failures, wait_s)
        if wait_s > 0:
            self._sleep(wait_s)

    def _drop_body(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None
