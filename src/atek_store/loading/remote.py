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
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import MaxRetryError, ProtocolError, ReadTimeoutError, SSLError

from atek_store.errors import TransferError, UrlsExpiredError

__all__ = ["HttpClient", "HttpOptions", "display_url"]

logger = logging.getLogger(__name__)

_CONTENT_RANGE = re.compile(r"^bytes (\d+)-")
_RETRY_STATUSES = (429, 500, 502, 503, 504)
_CHUNK = 1 << 20


def display_url(url: str) -> str:
    """The URL without its query string: signed URLs carry secrets there, keep them out of logs."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")) if parts.query else url


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


class HttpClient:
    """A urllib3 connection pool with our retry policy. Make one per process (never share across fork)."""

    def __init__(self, options: HttpOptions | None = None) -> None:
        self.options = options or HttpOptions()
        retry = urllib3.Retry(
            total=self.options.retries,
            connect=self.options.retries,
            read=self.options.retries,
            status=self.options.retries,
            backoff_factor=self.options.backoff,
            status_forcelist=_RETRY_STATUSES,
            allowed_methods=frozenset({"GET"}),
            raise_on_status=False,
            respect_retry_after_header=True,
        )
        timeout = urllib3.Timeout(connect=self.options.connect_timeout, read=self.options.read_timeout)
        self._pool = urllib3.PoolManager(retries=retry, timeout=timeout)

    def open(self, url: str) -> io.BufferedReader:
        """Start streaming ``url``; the returned stream resumes by itself after a dropped connection.

        Raises:
            UrlsExpiredError: the server answered 401 or 403.
            TransferError: the server cannot be reached, or answered another error status.
        """
        return io.BufferedReader(_ResumableBody(self, url), buffer_size=_CHUNK)

    def request(self, url: str, start: int) -> Any:
        """GET ``url`` from byte ``start``, returning a urllib3 response positioned at that byte."""
        headers = {"Range": f"bytes={start}-"} if start else {}
        shown = display_url(url)
        try:
            response = self._pool.request("GET", url, headers=headers, preload_content=False)
        except MaxRetryError as error:
            raise TransferError(f"cannot fetch {shown}: {error.reason}", url=shown) from None
        except Urllib3Error as error:
            raise TransferError(f"cannot fetch {shown}: {error}", url=shown) from None
        status = response.status
        if status in (401, 403):
            response.drain_conn()
            raise UrlsExpiredError(
                f"the server refused {shown} (HTTP {status}): signed URLs expire after 30 days; "
                "download a fresh URL JSON and write new shard lists",
                url=shown,
                status=status,
            )
        if start and status == 206:
            match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if match is None or int(match.group(1)) != start:
                response.close()
                raise TransferError(
                    f"{shown}: asked for bytes from {start}, got Content-Range "
                    f"{response.headers.get('Content-Range')!r}",
                    url=shown,
                )
            return response
        if status != 200:
            response.drain_conn()
            raise TransferError(f"cannot fetch {shown}: HTTP {status}", url=shown, status=status)
        if start:
            # The server ignored the Range header: skip what we already have.
            logger.info("%s ignored a Range request; re-reading %d bytes", shown, start)
            left = start
            while left:
                skipped = response.read(min(left, _CHUNK))
                if not skipped:
                    raise TransferError(f"{shown} is shorter than on the first request", url=shown)
                left -= len(skipped)
        return response

    def close(self) -> None:
        """Close the pooled connections."""
        self._pool.clear()


class _ResumableBody(io.RawIOBase):
    """The body of one GET, re-requested from the current offset when the connection drops."""

    def __init__(self, client: HttpClient, url: str) -> None:
        super().__init__()
        self._client = client
        self._url = url
        self._position = 0
        self._resumes_left = client.options.resumes
        self._response = client.request(url, 0)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while True:
            try:
                count: int = self._response.readinto(buffer)
            except (ProtocolError, ReadTimeoutError, SSLError, OSError) as error:
                self._resume(error)
                continue
            self._position += count
            return count

    def _resume(self, error: BaseException) -> None:
        shown = display_url(self._url)
        self._response.close()
        if self._resumes_left <= 0:
            raise TransferError(
                f"{shown}: connection lost at byte {self._position} and the resume budget "
                f"({self._client.options.resumes}) is spent: {error}",
                url=shown,
                offset=self._position,
            ) from None
        self._resumes_left -= 1
        logger.info("%s: connection lost at byte %d (%s); resuming", shown, self._position, error)
        self._response = self._client.request(self._url, self._position)

    def close(self) -> None:
        if not self.closed:
            # Closing (not returning) the connection: unread body bytes must not reach the next request.
            self._response.close()
        super().close()
