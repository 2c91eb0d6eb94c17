"""The loader's HTTP client: stream a shard as a file, or fetch a whole file or a byte range.

It is the same engine as the downloader's (:class:`~atek_store.http.resumable.ResumableGet`:
ranged resume, one 200-to-Range rule, the retry budget, the stall rule), over one pooled
transport. Make one per process (never share one across fork); it is safe to use from several
threads.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Callable
from typing import Any, BinaryIO

from atek_store.http.options import HttpOptions
from atek_store.http.resumable import ResumableGet
from atek_store.http.routing import make_transport
from atek_store.http.transport import Transport

__all__ = ["HttpClient"]

_CHUNK = 1 << 20


class HttpClient:
    """Streams and fetches http(s) URLs under :class:`HttpOptions`.

    Args:
        options: timeouts and retry limits (default :class:`HttpOptions`).
        transport: where bytes come from (default: a pooled http/https transport); tests pass a
            :class:`~atek_store.http.handler.HandlerTransport`.
        clock: monotonic seconds (for the stall rule).
        sleep: the wait between attempts.
        rng: jitter source for every transfer (default: one seeded per URL from ``options.seed``).
    """

    def __init__(
        self,
        options: HttpOptions | None = None,
        *,
        transport: Transport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.options = options or HttpOptions()
        self._own_transport = transport is None
        self._transport = transport or make_transport(
            max_connections=self.options.max_connections,
            timeout=self.options.read_timeout,
            connect_timeout=self.options.connect_timeout,
            max_redirects=self.options.max_redirects,
        )
        self._clock = clock
        self._sleep = sleep
        self._rng = rng

    def transfer(self, url: str, *, start: int = 0, end: int | None = None) -> ResumableGet:
        """Bytes ``[start, end)`` of ``url`` under this client's limits, not yet requested.

        For callers that need the answer's details as well as the bytes (the loader's read-ahead
        reads ``total``, the file's size, to cut the rest of a shard into ranges).
        """
        return ResumableGet(
            self._transport,
            url,
            start=start,
            end=end,
            policy=self.options.retry_policy,
            stall=self.options.stall_rule,
            clock=self._clock,
            sleep=self._sleep,
            rng=self._rng,
        )

    def open(self, url: str) -> io.BufferedReader:
        """Start streaming ``url``; the stream resumes by itself after a dropped connection.

        The first request is made here, so a refused or missing URL raises at once.

        Raises:
            UrlsExpiredError: the server answered 401 or 403.
            TransferError: the server cannot be reached, answered another error status, stalled,
                or the retry budget ran out.
        """
        transfer = self.transfer(url)
        transfer.open()
        return io.BufferedReader(_TransferStream(transfer), buffer_size=_CHUNK)

    def fetch(self, url: str, into: BinaryIO, *, start: int = 0, end: int | None = None) -> int:
        """Write bytes ``[start, end)`` of ``url`` (``end`` None: to its end) to ``into``; returns the count.

        ``into`` receives each piece once, in order, even across resumes. Raises as :meth:`open`.
        """
        transfer = self.transfer(url, start=start, end=end)
        written = 0
        try:
            for chunk in transfer.chunks(_CHUNK):
                into.write(chunk)
                written += len(chunk)
        finally:
            transfer.close()
        return written

    def fetch_range(self, url: str, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of ``url`` (fewer when the file ends first). Raises as :meth:`open`."""
        buffer = io.BytesIO()
        self.fetch(url, buffer, start=start, end=end)
        return buffer.getvalue()

    def close(self) -> None:
        """Close the pooled connections (of the transport this client made)."""
        if self._own_transport:
            self._transport.close()


class _TransferStream(io.RawIOBase):
    """A :class:`ResumableGet` as a raw binary stream."""

    def __init__(self, transfer: ResumableGet) -> None:
        super().__init__()
        self._transfer = transfer

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._transfer.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._transfer.close()
        super().close()
