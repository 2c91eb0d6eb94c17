"""http/https through one pooled urllib3 ``PoolManager``: timeouts, a header deadline, our redirects.

urllib3 is used directly (thread-safe pool, streaming bodies) because it costs the least CPU per
byte of the clients measured (``PEERS.md``). The pool never retries: that is the job of
:mod:`atek_store.http.resumable`. We ask for ``Accept-Encoding: identity`` and never decode a body,
so a server that compresses anyway cannot make us inflate anything (its bytes are checked as they
are). Three bounds urllib3 lacks are added here:

* a *header deadline*: the status line and headers must be complete within ``header_timeout``
  seconds in all (a read timeout is per receive, so headers trickled a byte at a time would
  otherwise never end);
* redirects are followed by us, at most ``max_redirects``, only to http/https (never ``file:``),
  and credentials are not forwarded to another origin;
* ``user:password@`` in a URL is sent as basic authentication, never shown.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Mapping
from http.client import HTTPException
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import LocationValueError, ProtocolError
from urllib3.exceptions import SSLError as Urllib3SSLError

from atek_store._version import __version__
from atek_store.errors import TransferError
from atek_store.http.redact import redact_text, redact_url
from atek_store.http.transport import TransferResponse, range_header
from atek_store.http.watchdog import watchdog

__all__ = ["HttpTransport"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_FOLLOWED_SCHEMES = ("http", "https")


class _HeadersTooSlow(OSError):
    """The response head missed its deadline (not a TimeoutError, which urllib3 would reword)."""


class _HeaderDeadline:
    """Mixed into urllib3's connections: the whole response head must arrive within a deadline."""

    header_timeout_s: float = 30.0
    sock: socket.socket | None

    def getresponse(self) -> Any:
        expired = threading.Event()

        def abort() -> None:
            # Shutting the socket down wakes the blocked receive; the error below names the reason.
            expired.set()
            if self.sock is not None:
                with contextlib.suppress(OSError):
                    self.sock.shutdown(socket.SHUT_RDWR)

        late = f"no complete response headers within {self.header_timeout_s:g} s"
        timer = watchdog.after(self.header_timeout_s, abort)
        try:
            response = super().getresponse()  # type: ignore[misc]
        except (OSError, HTTPException) as error:
            if expired.is_set():
                raise _HeadersTooSlow(late) from error
            raise
        finally:
            timer.cancel()
        if expired.is_set():
            # The shutdown can also end the head early without an error: those headers are cut.
            response.close()
            raise _HeadersTooSlow(late)
        return response


def _pool_classes(header_timeout_s: float) -> dict[str, type[HTTPConnectionPool]]:
    """Connection pools whose connections enforce ``header_timeout_s`` (a class attribute each)."""

    class Connection(_HeaderDeadline, HTTPConnection):
        pass

    class SecureConnection(_HeaderDeadline, HTTPSConnection):
        pass

    Connection.header_timeout_s = SecureConnection.header_timeout_s = header_timeout_s

    class Pool(HTTPConnectionPool):
        ConnectionCls = Connection

    class SecurePool(HTTPSConnectionPool):
        ConnectionCls = SecureConnection

    return {"http": Pool, "https": SecurePool}


class _HttpResponse:
    def __init__(self, response: urllib3.BaseHTTPResponse, url: str) -> None:
        self._response = response
        self._url = url
        self._complete = False
        self._closed = False
        self.status = response.status
        self.headers: Mapping[str, str] = response.headers

    def read(self, size: int) -> bytes:
        # read1 hands over what has arrived (up to ``size``) instead of waiting for a full chunk, so
        # a cut connection loses nothing that reached us.
        try:
            data = self._response.read1(size, decode_content=False)
        except (Urllib3Error, OSError, HTTPException) as error:
            shown = redact_url(self._url)
            raise TransferError(
                f"transfer of {shown} broke off: {redact_text(str(error), self._url)}",
                url=shown,
                retryable=True,
            ) from None
        # Complete at the end, or once a Content-Length body is all read: then the connection
        # goes back to the pool instead of being dropped (callers stop at the length they want).
        if not data or (
            isinstance(self._response, urllib3.HTTPResponse) and self._response.length_remaining == 0
        ):
            self._complete = True
        return data

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if not self._complete:
            # An unread remainder would poison the pooled connection: drop the connection instead.
            self._response.close()
        self._response.release_conn()


class HttpTransport:
    """http/https through one shared urllib3 ``PoolManager``, safe to use from many threads."""

    def __init__(
        self,
        *,
        max_connections: int = 8,
        timeout: float = 30.0,
        connect_timeout: float | None = None,
        header_timeout: float | None = None,
        max_redirects: int = 5,
    ) -> None:
        """Create the pool.

        Args:
            max_connections: connections kept per host (match the number of transfer threads).
            timeout: read timeout in seconds (longest wait for the next bytes).
            connect_timeout: connect timeout in seconds (default: ``min(timeout, 15)``).
            header_timeout: seconds for the whole status line and headers (default: ``timeout``).
            max_redirects: redirects followed per request.
        """
        self._timeout = urllib3.Timeout(connect=connect_timeout or min(timeout, 15.0), read=timeout)
        self._max_redirects = max_redirects
        self._pool = urllib3.PoolManager(num_pools=16, maxsize=max(1, max_connections), retries=False)
        self._pool.pool_classes_by_scheme = _pool_classes(header_timeout or timeout)
        self._headers = {"User-Agent": f"atek-store/{__version__}", "Accept-Encoding": "identity"}

    def get(self, url: str, *, offset: int = 0, end: int | None = None) -> TransferResponse:
        """Send the GET, following redirects; the body is read with the response's ``read``."""
        headers = dict(self._headers)
        wanted = range_header(offset, end)
        if wanted is not None:
            headers["Range"] = wanted
        current, credentials = _split_credentials(url)
        if credentials is not None:
            headers["Authorization"] = urllib3.util.make_headers(basic_auth=credentials)["authorization"]
        for _ in range(self._max_redirects + 1):
            response = self._send(current, headers, shown_for=url)
            location = response.headers.get("Location") if response.status in _REDIRECTS else None
            if not location:
                return _HttpResponse(response, url)
            # Never read a redirect's body: a hostile one could be endless.
            response.close()
            response.release_conn()
            target = urljoin(current, location)
            scheme = urlsplit(target).scheme.lower()
            if scheme not in _FOLLOWED_SCHEMES:
                raise TransferError(
                    f"{redact_url(url)} redirected to a {scheme or 'relative'}: URL ({redact_url(target)}); "
                    "only http and https redirects are followed",
                    url=redact_url(url),
                    status=response.status,
                    retryable=False,
                )
            if _origin(target) != _origin(current):
                headers.pop("Authorization", None)
            current = target
        raise TransferError(
            f"{redact_url(url)} redirected more than {self._max_redirects} times; giving up",
            url=redact_url(url),
            retryable=False,
        )

    def _send(self, url: str, headers: Mapping[str, str], *, shown_for: str) -> urllib3.BaseHTTPResponse:
        shown = redact_url(shown_for)
        try:
            return self._pool.request(
                "GET",
                url,
                headers=dict(headers),
                preload_content=False,
                decode_content=False,
                redirect=False,
                timeout=self._timeout,
            )
        except LocationValueError as error:
            raise TransferError(
                f"cannot fetch {shown}: not a URL we can request ({redact_text(str(error), url, shown_for)})",
                url=shown,
                retryable=False,
            ) from None
        except Urllib3SSLError as error:
            # A certificate or TLS failure does not heal by itself: fail at once.
            raise TransferError(
                f"cannot reach {shown}: TLS failed: {redact_text(str(error), url, shown_for)}",
                url=shown,
                retryable=False,
            ) from None
        except (Urllib3Error, OSError, HTTPException) as error:
            raise TransferError(
                f"cannot reach {shown}: {redact_text(_describe(error), url, shown_for)}",
                url=shown,
                retryable=True,
            ) from None

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.clear()


def _describe(error: BaseException) -> str:
    """urllib3's ``ProtocolError('Connection aborted.', cause)`` as ``Connection aborted: cause``."""
    if isinstance(error, ProtocolError) and len(error.args) == 2 and isinstance(error.args[1], BaseException):
        return f"{str(error.args[0]).rstrip('.')}: {error.args[1]}"
    return str(error)


def _split_credentials(url: str) -> tuple[str, str | None]:
    """``url`` without ``user:password@``, and those credentials (decoded) when present."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    return parts._replace(netloc=host).geturl(), unquote(userinfo)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()
