"""Ranged GETs behind a narrow interface: an urllib3 transport for http(s), a file transport.

urllib3 is used directly (a thread-safe ``PoolManager``, streaming bodies) because it costs the
least CPU per byte of the clients measured (``PEERS.md``). Retrying is the scheduler's job, so the
pool only follows redirects; every request has a connect and a read timeout. Failures surface as
:class:`~atek_store.errors.TransferError` with ``retryable`` (and ``retry_after`` where the server
said) set, or :class:`~atek_store.errors.UrlsExpiredError` for 401/403.
"""

from __future__ import annotations

import email.utils
import io
import os
import random
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO, Protocol
from urllib.parse import urlsplit
from urllib.request import url2pathname

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error

from atek_store._version import __version__
from atek_store.errors import TransferError, UrlsExpiredError

__all__ = [
    "RetryPolicy",
    "ContentRange",
    "FileTransport",
    "HttpTransport",
    "RoutingTransport",
    "Transport",
    "TransferResponse",
    "parse_content_range",
    "check_status",
    "parse_retry_after",
    "redact_url",
]

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)
_RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_EXPIRED_STATUS = frozenset({401, 403})


@dataclass(frozen=True)
class ContentRange:
    """A parsed ``Content-Range: bytes first-last/total`` header (``total`` None for ``*``)."""

    first: int
    last: int
    total: int | None


def parse_content_range(value: str | None) -> ContentRange | None:
    """Parse a ``Content-Range`` header; None when absent or malformed."""
    match = _CONTENT_RANGE.match(value or "")
    if not match:
        return None
    total = None if match.group(3) == "*" else int(match.group(3))
    return ContentRange(first=int(match.group(1)), last=int(match.group(2)), total=total)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt n waits ``uniform(d/2, d)``, ``d = min(cap, base * 2**n)``."""

    retries: int = 5
    base_s: float = 1.0
    cap_s: float = 60.0
    max_retry_after_s: float = 300.0

    def delay(self, failures: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait after the ``failures``-th consecutive failure (1-based)."""
        ceiling = min(self.cap_s, self.base_s * 2 ** max(failures - 1, 0))
        wait_s = rng.uniform(ceiling / 2, ceiling)
        if retry_after is not None:
            wait_s = max(wait_s, min(retry_after, self.max_retry_after_s))
        return wait_s


class TransferResponse(Protocol):
    """A response whose body is read in chunks; close it when done."""

    status: int
    headers: Mapping[str, str]

    def chunks(self, size: int) -> Iterator[bytes]:
        """The body in chunks of up to ``size`` bytes; raises a retryable TransferError when cut."""
        ...

    def close(self) -> None:
        """Release the connection (closing it when the body was not read to the end)."""
        ...


class Transport(Protocol):
    """Something that can GET a URL from a byte offset."""

    def get(self, url: str, *, offset: int = 0) -> TransferResponse:
        """Send a GET, with ``Range: bytes=<offset>-`` when ``offset`` > 0."""
        ...

    def close(self) -> None:
        """Release pooled connections."""
        ...


def check_status(response: TransferResponse, url: str) -> None:
    """Raise the matching error for a status that carries no usable body.

    200/206/416 return normally (the caller decides what they mean for a resume).
    """
    status = response.status
    if status in (200, 206, 416):
        return
    where = redact_url(url)
    if status in _EXPIRED_STATUS:
        raise UrlsExpiredError(
            f"HTTP {status} for {where}: the signed URLs have expired (they last 30 days) or were refused; "
            "download a fresh URL JSON",
            status=status,
            url=where,
        )
    if status in _RETRYABLE_STATUS or 500 <= status < 600:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise TransferError(
            f"HTTP {status} for {where}", status=status, url=where, retryable=True, retry_after=retry_after
        )
    raise TransferError(f"HTTP {status} for {where}", status=status, url=where, retryable=False)


def redact_url(url: str) -> str:
    """The URL without its query string (signed URLs carry credentials there)."""
    # Signed URLs carry their credentials in the query string: keep them out of logs and reports.
    parts = urlsplit(url)
    return parts._replace(query="…" if parts.query else "").geturl()


class _HttpResponse:
    def __init__(self, response: urllib3.BaseHTTPResponse, url: str) -> None:
        self._response = response
        self._url = url
        self._complete = False
        self.status = response.status
        self.headers: Mapping[str, str] = response.headers

    def chunks(self, size: int) -> Iterator[bytes]:
        # read1 hands over what has arrived (up to ``size``) instead of waiting for a full chunk, so
        # a cut connection loses nothing that reached us: it is all in the .part file already.
        try:
            while data := self._response.read1(size, decode_content=False):
                yield data
        except (Urllib3Error, OSError) as error:
            raise TransferError(
                f"transfer of {redact_url(self._url)} broke off: {error}",
                url=redact_url(self._url),
                retryable=True,
            ) from None
        self._complete = True

    def close(self) -> None:
        if not self._complete:
            # An unread remainder would poison the pooled connection: drop the connection instead.
            self._response.close()
        self._response.release_conn()


class HttpTransport:
    """http/https through one shared urllib3 ``PoolManager``, safe to use from many threads."""

    def __init__(
        self, *, max_connections: int = 8, timeout: float = 30.0, connect_timeout: float | None = None
    ) -> None:
        """Create the pool.

        Args:
            max_connections: connections kept per host (match the number of transfer threads).
            timeout: read timeout in seconds (longest wait for the next bytes).
            connect_timeout: connect timeout in seconds (default: ``min(timeout, 15)``).
        """
        self._timeout = urllib3.Timeout(connect=connect_timeout or min(timeout, 15.0), read=timeout)
        # Retrying is the scheduler's business: the pool only follows redirects.
        retries = urllib3.Retry(
            total=None, connect=0, read=0, status=0, other=0, redirect=5, raise_on_status=False
        )
        self._pool = urllib3.PoolManager(num_pools=16, maxsize=max(1, max_connections), retries=retries)
        self._headers = {"User-Agent": f"atek-store/{__version__}", "Accept-Encoding": "identity"}

    def get(self, url: str, *, offset: int = 0) -> TransferResponse:
        """Send the GET; the body is streamed by the response's ``chunks``."""
        headers = dict(self._headers)
        if offset > 0:
            headers["Range"] = f"bytes={offset}-"
        try:
            response = self._pool.request(
                "GET",
                url,
                headers=headers,
                preload_content=False,
                decode_content=False,
                timeout=self._timeout,
            )
        except (Urllib3Error, OSError) as error:
            raise TransferError(
                f"cannot reach {redact_url(url)}: {_reason(error)}", url=redact_url(url), retryable=True
            ) from None
        return _HttpResponse(response, url)

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.clear()


def _reason(error: BaseException) -> str:
    inner = getattr(error, "reason", None)
    return str(inner) if inner is not None else str(error)


class _FileResponse:
    def __init__(self, handle: BinaryIO, status: int, headers: Mapping[str, str]) -> None:
        self._handle = handle
        self.status = status
        self.headers = headers

    def chunks(self, size: int) -> Iterator[bytes]:
        while chunk := self._handle.read(size):
            yield chunk

    def close(self) -> None:
        self._handle.close()


class FileTransport:
    """``file://`` URLs (only used when the caller allowed them), answering like a ranged server."""

    def get(self, url: str, *, offset: int = 0) -> TransferResponse:
        """Open the file; 206 with a Content-Range from ``offset``, 416 beyond its end."""
        path = url2pathname(urlsplit(url).path)
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed by the response's close()
        except FileNotFoundError:
            raise TransferError(f"no such file: {path}", url=url, retryable=False) from None
        except OSError as error:
            raise TransferError(f"cannot open {path}: {error.strerror}", url=url, retryable=False) from None
        size = os.fstat(handle.fileno()).st_size
        if offset <= 0:
            return _FileResponse(handle, 200, {"Content-Length": str(size)})
        if offset >= size:
            handle.close()
            return _FileResponse(io.BytesIO(), 416, {"Content-Range": f"bytes */{size}"})
        handle.seek(offset)
        return _FileResponse(handle, 206, {"Content-Range": f"bytes {offset}-{size - 1}/{size}"})

    def close(self) -> None:
        """Nothing is pooled."""


class RoutingTransport:
    """Sends each URL to the transport of its scheme."""

    def __init__(self, routes: Mapping[str, Transport]) -> None:
        """Route by lower-case scheme, e.g. ``{"http": http, "https": http, "file": files}``."""
        self._routes = dict(routes)

    def get(self, url: str, *, offset: int = 0) -> TransferResponse:
        """Delegate to the transport of the URL's scheme."""
        scheme = urlsplit(url).scheme.lower()
        transport = self._routes.get(scheme)
        if transport is None:
            raise TransferError(f"no transport for URL scheme {scheme!r}: {redact_url(url)}", retryable=False)
        return transport.get(url, offset=offset)

    def close(self) -> None:
        """Close every routed transport once."""
        for transport in {id(t): t for t in self._routes.values()}.values():
            transport.close()
