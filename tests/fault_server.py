"""The one loopback HTTP server of the test suite, with switches for CDN faults and hostile peers.

It serves bytes from memory (:meth:`FaultServer.add`, :meth:`FaultServer.publish`) and files from
folders (:meth:`FaultServer.mount`), with Range support and HTTP/1.1 keep-alive. Per path, a
:class:`Fault` can make it answer what a flaky CDN answers (a status with ``Retry-After``, a cut
body, ignored Range, wrong bytes) or what a hostile peer sends (a trickle, trickled headers, an
endless body, lying lengths or ranges, redirects anywhere, an encoded body, raw garbage).
Server-wide it can cap each connection's rate and refuse everything with 403 after a number of
requests (an expiry that needs no clock). Every request lands in :attr:`FaultServer.log`.

The listening socket is bound (port 0) when the server is made, before any thread starts, so
its URL is valid from the start and no port is ever freed and reused. Used by the
``fault_server`` fixture (``tests/conftest.py``), by the tests that need several servers or a
longer-lived one, and by ``benchmarks/download.py``.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

SIGNED_QUERY = "Signature=abc&Key-Pair-Id=test"


@dataclass
class Fault:
    """What to do wrong for one path. Counts (``*_times``) go down as faults are served; None: always."""

    status: int | None = None  # answer this status instead of the file ...
    status_times: int | None = 1  # ... this many times
    retry_after: str | None = None  # Retry-After sent with ``status``
    cut_after: int | None = None  # close the connection after this many body bytes ...
    cut_times: int | None = 1  # ... for this many responses
    ignore_range: bool = False  # always answer 200 with the whole file
    wrong_bytes: bool = False  # same size, other content
    redirect: str | None = None  # answer 302 with this Location ...
    redirect_times: int | None = None  # ... this many times
    rate: float | None = None  # body bytes per second (a trickle), instead of the server's cap
    chunk: int | None = None  # body bytes per write
    header_rate: float | None = None  # status line and headers at this many bytes per second
    endless: bool = False  # no Content-Length; after the body, zeros until the client leaves
    content_length: int | None = None  # declared instead of the true length (a lie)
    omit_length: bool = False  # no Content-Length at all (the body ends when the connection does)
    content_range: str | None = None  # sent with a 206 instead of the true range (a lie)
    content_encoding: str | None = None  # Content-Encoding header (we asked for identity)
    body: bytes | None = None  # sent as the whole answer (200, Range ignored) instead of the file
    raw: bytes | None = None  # written as the entire response, then the connection is closed


@dataclass
class LogEntry:
    """One request as the server saw it."""

    path: str
    range: str | None
    headers: dict[str, str] = field(default_factory=dict)  # request headers, names in lower case
    status: int = 0
    bytes_sent: int = 0
    complete: bool = False
    client_port: int = 0  # the same port again means a reused (kept-alive) connection


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A reader opens many connections at once (read-ahead): a short backlog drops SYNs, and the
    # client only retries them a second later, which would look like a slow link.
    request_queue_size = 128
    owner: FaultServer

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.owner.lock:
            self.owner.connections.add(request)
        super().process_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: clients that hang up (as the hostile-peer tests make them) are not errors here."""

    def shutdown_request(self, request: Any) -> None:
        with self.owner.lock:
            self.owner.connections.discard(request)
        super().shutdown_request(request)


class FaultServer:
    """The server; use it as a context manager or call :meth:`start` / :meth:`stop`."""

    def __init__(self, *, rate_limit: float | None = None, block_size: int = 64 * 1024) -> None:
        self.files: dict[str, bytes] = {}
        self.mounts: list[Path] = []
        self.faults: dict[str, Fault] = {}
        self.rate_limit = rate_limit  # bytes per second per connection
        self.block_size = block_size
        self.refuse_after: int | None = None  # requests answered before every further one gets 403
        self.log: list[LogEntry] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.connections: set[socket.socket] = set()
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = _Server(("127.0.0.1", 0), Handler)  # bound and listening from here on
        self._httpd.owner = self
        self._thread: threading.Thread | None = None

    # -- content -------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, *, query: str | None = SIGNED_QUERY) -> str:
        """The URL of a path; by default with a query string, like a signed URL."""
        return f"{self.base_url}/{quote(path.lstrip('/'))}" + (f"?{query}" if query else "")

    def add(self, path: str, data: bytes) -> str:
        """Serve ``data`` at ``/path``; returns its (signed-looking) URL."""
        self.files["/" + path.lstrip("/")] = data
        return self.url(path)

    def publish(self, paths: list[str], base: Path) -> list[str]:
        """Serve files (paths under ``base``) at their path relative to ``base``; returns plain URLs."""
        urls = []
        for path in paths:
            relative = Path(path).relative_to(base).as_posix()
            self.files["/" + relative] = Path(path).read_bytes()
            urls.append(self.url(relative, query=None))
        return urls

    def mount(self, folder: Path) -> str:
        """Serve the files under ``folder`` (read at each request); returns the base URL."""
        self.mounts.append(folder.resolve())
        return self.base_url

    def content(self, path: str) -> bytes | None:
        if path in self.files:
            return self.files[path]
        for folder in self.mounts:
            target = (folder / path.lstrip("/")).resolve()
            if folder in target.parents and target.is_file():
                return target.read_bytes()
        return None

    # -- log ---------------------------------------------------------------------------------------
    def requests_for(self, path: str) -> list[LogEntry]:
        path = "/" + path.lstrip("/")
        with self.lock:
            return [entry for entry in self.log if entry.path == path]

    def requested_paths(self) -> list[str]:
        with self.lock:
            return [entry.path for entry in self.log]

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()

    def bytes_sent(self) -> int:
        with self.lock:
            return sum(entry.bytes_sent for entry in self.log)

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> FaultServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and end every open connection (trickles and endless bodies included)."""
        self.stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        with self.lock:
            open_connections = list(self.connections)
        for connection in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _take(count: int | None) -> tuple[bool, int | None]:
    """(serve the fault now?, the count left)."""
    if count is None:
        return True, None
    return (True, count - 1) if count > 0 else (False, 0)


def _start_of(value: str | None) -> int | None:
    """Start offset of ``bytes=N-`` or ``bytes=N-M``; None when absent or malformed."""
    if not value or not value.startswith("bytes="):
        return None
    first = value[len("bytes=") :].split("-", 1)[0]
    return int(first) if first.isdigit() else None


def _end_of(value: str | None) -> int | None:
    """One past the last byte of ``bytes=N-M``; None when open-ended."""
    last = (value or "").split("-", 1)[-1] if value and "-" in value else ""
    return int(last) + 1 if last.isdigit() else None


class _Handler(BaseHTTPRequestHandler):
    owner: FaultServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Quiet: the FaultServer keeps its own log."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        owner = self.owner
        path = unquote(urlsplit(self.path).path)
        entry = LogEntry(
            path=path,
            range=self.headers.get("Range"),
            headers={k.lower(): v for k, v in self.headers.items()},
            client_port=int(self.client_address[1]),
        )
        with owner.lock:
            owner.log.append(entry)
            refused = owner.refuse_after is not None and len(owner.log) > owner.refuse_after
            fault = owner.faults.get(path, Fault())
            redirect, fault.redirect_times = _take(fault.redirect_times) if fault.redirect else (False, 0)
            status, fault.status_times = _take(fault.status_times) if fault.status else (False, 0)
            cut, fault.cut_times = _take(fault.cut_times) if fault.cut_after is not None else (False, 0)
        if fault.raw is not None:
            self._paced(entry, fault.raw, rate=fault.header_rate or fault.rate, chunk=fault.chunk)
            self.close_connection = True
            return
        if refused:
            self._answer(entry, fault, 403, {}, b"<Error>Request has expired</Error>")
        elif redirect:
            self._answer(entry, fault, 302, {"Location": str(fault.redirect)}, b"")
        elif status:
            extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            self._answer(entry, fault, int(fault.status or 500), extra, b"busy")
        elif fault.body is not None:
            self._serve(entry, fault, fault.body, None)
        else:
            data = owner.content(path)
            if data is None:
                self._answer(entry, fault, 404, {}, b"not found")
                return
            if fault.wrong_bytes:
                data = (hashlib.sha256(data).digest() * (len(data) // 32 + 1))[: len(data)]
            start = None if fault.ignore_range else _start_of(entry.range)
            self._serve(entry, fault, data, start, cut_after=fault.cut_after if cut else None)

    def _serve(
        self, entry: LogEntry, fault: Fault, data: bytes, start: int | None, *, cut_after: int | None = None
    ) -> None:
        size = len(data)
        if start is not None and start >= size:
            self._answer(entry, fault, 416, {"Content-Range": f"bytes */{size}"}, b"")
            return
        end = min(_end_of(entry.range) or size, size) if start is not None else size
        body = memoryview(data)[start or 0 : end]
        headers = {"Content-Type": "application/x-tar", "Accept-Ranges": "bytes"}
        if start is not None or fault.content_range is not None:
            headers["Content-Range"] = fault.content_range or f"bytes {start}-{end - 1}/{size}"
        status = 206 if "Content-Range" in headers else 200
        self._answer(entry, fault, status, headers, body, cut_after=cut_after)

    def _answer(
        self,
        entry: LogEntry,
        fault: Fault,
        status: int,
        headers: dict[str, str],
        body: bytes | memoryview,
        *,
        cut_after: int | None = None,
    ) -> None:
        entry.status = status
        headers = dict(headers)
        if fault.content_encoding is not None:
            headers["Content-Encoding"] = fault.content_encoding
        if fault.endless or fault.omit_length:
            headers["Connection"] = "close"
            self.close_connection = True
        else:
            declared = fault.content_length if fault.content_length is not None else len(body)
            headers["Content-Length"] = str(declared)
            if declared != len(body):
                self.close_connection = True
        reason = self.responses.get(status, ("",))[0]
        head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        trickle = 1 if fault.header_rate else None
        if not self._paced(None, (head + "\r\n").encode("latin-1"), rate=fault.header_rate, chunk=trickle):
            return
        limit = len(body) if cut_after is None else min(cut_after, len(body))
        rate = fault.rate or self.owner.rate_limit
        chunk = fault.chunk or self.owner.block_size
        if not self._paced(entry, body[:limit], rate=rate, chunk=chunk):
            return
        if limit < len(body):
            # Cut mid-body: the client sees fewer bytes than Content-Length said.
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        while fault.endless and self._paced(entry, bytes(chunk), rate=rate, chunk=chunk):
            pass
        entry.complete = not fault.endless

    def _paced(
        self, entry: LogEntry | None, data: bytes | memoryview, *, rate: float | None, chunk: int | None
    ) -> bool:
        """Write ``data`` ``chunk`` bytes at a time at up to ``rate`` bytes/s; False once the client left."""
        owner = self.owner
        step = max(1, chunk or len(data) or 1)
        started = time.monotonic()
        sent = 0
        try:
            while sent < len(data):
                if owner.stopping.is_set():
                    return False
                block = data[sent : sent + step]
                self.wfile.write(block)
                sent += len(block)
                if entry is not None:
                    with owner.lock:
                        entry.bytes_sent += len(block)
                if rate:
                    ahead = sent / rate - (time.monotonic() - started)
                    if ahead > 0 and owner.stopping.wait(ahead):
                        return False
        except OSError:
            self.close_connection = True
            return False
        return not owner.stopping.is_set()
