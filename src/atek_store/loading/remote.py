"""Streaming a shard over http(s) with urllib3: timeouts, retries, and resume in the middle of a body.

Before the body starts, urllib3 retries connection errors and 429/5xx answers with exponential
backoff (honouring ``Retry-After``). Once bytes are flowing, a dropped connection or a read
timeout re-requests the rest with ``Range: bytes=<offset>-``; a server that ignores the range and
answers 200 is read from the start with the first ``offset`` bytes discarded. 401/403 mean the
signed URLs expired (:class:`UrlsExpiredError`).
"""

from __future__ import annotations

import io
import logging
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from atek_store.download.transport import (
    HttpTransport,
    RetryPolicy,
    TransferResponse,
    check_status,
    parse_content_range,
    redact_url,
)
from atek_store.errors import TransferError, UrlsExpiredError

__all__ = ["HttpClient", "HttpOptions"]

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20


@dataclass(frozen=True)
class HttpOptions:
    """How patiently to stream a shard.

    Args:
        connect_timeout: seconds to establish a connection.
        read_timeout: seconds without a byte before a read fails (then it resumes).
        retries: attempts for connection errors and 429/5xx before the body starts.
        backoff: base of the exponential backoff between those attempts, in seconds.
        resumes: ranged re-requests allowed per shard once the body has started.
    """

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 5
    backoff: float = 0.5
    resumes: int = 5


class _Body:
    """A response's body as ``readinto`` calls, fed by the transport's chunks."""

    def __init__(self, response: TransferResponse) -> None:
        self.response = response
        self._chunks: Iterator[bytes] = response.chunks(_CHUNK)
        self._pending = memoryview(b"")

    def readinto(self, buffer: Any) -> int:
        if not self._pending:
            self._pending = memoryview(next(self._chunks, b""))
        count = min(len(buffer), len(self._pending))
        memoryview(buffer).cast("B")[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def skip(self, count: int, shown: str) -> None:
        scratch = bytearray(min(count, _CHUNK))
        while count:
            got = self.readinto(memoryview(scratch)[: min(count, len(scratch))])
            if not got:
                raise TransferError(f"{shown} is shorter than on the first request", url=shown)
            count -= got


class HttpClient:
    """Streams shards through the downloader's transport, with its retry policy.

    Make one per process (never share one across fork).
    """

    def __init__(self, options: HttpOptions | None = None, *, max_connections: int = 4) -> None:
        self.options = options or HttpOptions()
        self._transport = HttpTransport(
            max_connections=max_connections,
            timeout=self.options.read_timeout,
            connect_timeout=self.options.connect_timeout,
        )
        self._policy = RetryPolicy(retries=self.options.retries, base_s=self.options.backoff)
        self._rng = random.Random()

    def open(self, url: str) -> io.BufferedReader:
        """Start streaming ``url``; the returned stream resumes by itself after a dropped connection.

        Raises:
            UrlsExpiredError: the server answered 401 or 403.
            TransferError: the server cannot be reached, or answered another error status.
        """
        return io.BufferedReader(_ResumableBody(self, url), buffer_size=_CHUNK)

    def request(self, url: str, start: int) -> _Body:
        """GET ``url`` from byte ``start``, retrying (with backoff) until the body starts."""
        failures = 0
        while True:
            try:
                return self._request_once(url, start)
            except UrlsExpiredError:
                raise
            except TransferError as error:
                if not error.retryable or failures >= self.options.retries:
                    raise
                failures += 1
                delay = self._policy.delay(failures, self._rng, error.retry_after)
                logger.info("%s; retrying in %.1f s", error, delay)
                time.sleep(delay)

    def _request_once(self, url: str, start: int) -> _Body:
        shown = redact_url(url)
        response = self._transport.get(url, offset=start)
        try:
            check_status(response, url)
            if start and response.status == 206:
                content = parse_content_range(response.headers.get("Content-Range"))
                if content is None or content.first != start:
                    raise TransferError(
                        f"{shown}: asked for bytes from {start}, got Content-Range "
                        f"{response.headers.get('Content-Range')!r}",
                        url=shown,
                    )
                return _Body(response)
            if response.status != 200:
                raise TransferError(
                    f"cannot fetch {shown}: HTTP {response.status}", url=shown, status=response.status
                )
            body = _Body(response)
            if start:
                # The server ignored the Range header: skip what we already have.
                logger.info("%s ignored a Range request; re-reading %d bytes", shown, start)
                body.skip(start, shown)
            return body
        except BaseException:
            response.close()
            raise

    def close(self) -> None:
        """Close the pooled connections."""
        self._transport.close()


class _ResumableBody(io.RawIOBase):
    """The body of one GET, re-requested from the current offset when the connection drops."""

    def __init__(self, client: HttpClient, url: str) -> None:
        super().__init__()
        self._client = client
        self._url = url
        self._position = 0
        self._resumes_left = client.options.resumes
        self._body = client.request(url, 0)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while True:
            try:
                count = self._body.readinto(buffer)
            except TransferError as error:
                if not error.retryable:
                    raise
                self._resume(error)
                continue
            self._position += count
            return count

    def _resume(self, error: BaseException) -> None:
        shown = redact_url(self._url)
        self._body.response.close()
        if self._resumes_left <= 0:
            raise TransferError(
                f"{shown}: connection lost at byte {self._position} and the resume budget "
                f"({self._client.options.resumes}) is spent: {error}",
                url=shown,
            ) from None
        self._resumes_left -= 1
        logger.info("%s: connection lost at byte %d (%s); resuming", shown, self._position, error)
        self._body = self._client.request(self._url, self._position)

    def close(self) -> None:
        if not self.closed:
            # Unread body bytes must not reach the next request on a pooled connection.
            self._body.response.close()
        super().close()
