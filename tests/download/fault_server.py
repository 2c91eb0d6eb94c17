"""A real HTTP file server on 127.0.0.1 with switches for the faults a CDN shows.

Serves bytes from memory with Range support (HTTP/1.1 keep-alive). Per path it can: cut a
response part-way, answer a status (503/429 with Retry-After) a number of times, ignore Range,
serve bytes that do not match their sha1; server-wide it can refuse everything with 403 after an
expiry time and cap each connection's rate. Every request lands in a log (path, Range header,
status, bytes sent, whether the body was sent to the end).

Used by the tests (fixture in ``conftest.py``) and by ``benchmarks/download.py``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Fault:
    """What to do wrong for one path. Counters count down as the faults are served."""

    cut_after: int | None = None  # close the connection after this many body bytes ...
    cut_times: int = 1  # ... for this many responses
    status: int | None = None  # answer this status instead of the file ...
    status_times: int = 1  # ... this many times
    retry_after: str | None = None  # Retry-After header sent with ``status``
    ignore_range: bool = False  # always answer 200 with the whole file
    wrong_bytes: bool = False  # same size, different content


@dataclass
class LogEntry:
    """One request as the server saw it."""

    path: str
    range: str | None
    status: int = 0
    bytes_sent: int = 0
    complete: bool = False
    started: float = field(default_factory=time.monotonic)


class FaultServer:
    """The server; use as a context manager or call :meth:`start` / :meth:`stop`."""

    def __init__(self, *, rate_limit: float | None = None, block_size: int = 64 * 1024) -> None:
        self.files: dict[str, bytes] = {}
        self.faults: dict[str, Fault] = {}
        self.rate_limit = rate_limit  # bytes per second per connection
        self.block_size = block_size
        self.expires_at: float | None = None  # time.time() after which every request gets 403
        self.log: list[LogEntry] = []
        self.lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- content -----------------------------------------------------------------------------
    def add(self, path: str, data: bytes) -> str:
        """Serve ``data`` at ``/path``; returns its URL."""
        path = "/" + path.lstrip("/")
        self.files[path] = data
        return self.url(path)

    def url(self, path: str) -> str:
        """The URL of a path (with a query string, like a signed URL)."""
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}?Signature=abc&Key-Pair-Id=test"

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return int(self._httpd.server_address[1])

    # -- log -------------------------------------------------------------------------------------
    def requests_for(self, path: str) -> list[LogEntry]:
        path = "/" + path.lstrip("/")
        with self.lock:
            return [entry for entry in self.log if entry.path == path]

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()

    def bytes_sent(self) -> int:
        with self.lock:
            return sum(entry.bytes_sent for entry in self.log)

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> FaultServer:
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _parse_range(value: str | None, size: int) -> int | None:
    """Start offset of ``bytes=N-`` (or ``bytes=N-M``, treated as open-ended); None if absent."""
    if not value or not value.startswith("bytes="):
        return None
    first = value[len("bytes=") :].split("-", 1)[0]
    return int(first) if first.isdigit() else None


class _Handler(BaseHTTPRequestHandler):
    owner: FaultServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Quiet: the FaultServer keeps its own log."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        owner = self.owner
        path = self.path.split("?", 1)[0]
        entry = LogEntry(path=path, range=self.headers.get("Range"))
        with owner.lock:
            owner.log.append(entry)
            fault = owner.faults.get(path)
            status_fault = fault is not None and fault.status is not None and fault.status_times > 0
            if status_fault:
                assert fault is not None
                fault.status_times -= 1
            cut = None
            if fault is not None and fault.cut_after is not None and fault.cut_times > 0:
                fault.cut_times -= 1
                cut = fault.cut_after
        data = owner.files.get(path)
        if owner.expires_at is not None and time.time() >= owner.expires_at:
            self._answer_error(entry, 403, b"<Error>Request has expired</Error>")
            return
        if status_fault:
            assert fault is not None
            assert fault.status is not None
            self._answer_error(entry, fault.status, b"busy", retry_after=fault.retry_after)
            return
        if data is None:
            self._answer_error(entry, 404, b"not found")
            return
        if fault is not None and fault.wrong_bytes:
            data = hashlib.sha256(data).digest() * (len(data) // 32 + 1)
            data = data[: len(owner.files[path])]
        start = None if fault is not None and fault.ignore_range else _parse_range(entry.range, len(data))
        if start is not None and start >= len(data):
            entry.status = 416
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(data)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            entry.complete = True
            return
        body = memoryview(data)[start or 0 :]
        entry.status = 206 if start is not None else 200
        self.send_response(entry.status)
        self.send_header("Content-Type", "application/x-tar")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        if start is not None:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        self._send_body(entry, body, cut)

    def _answer_error(
        self, entry: LogEntry, status: int, body: bytes, retry_after: str | None = None
    ) -> None:
        entry.status = status
        self.send_response(status)
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        entry.complete = True

    def _send_body(self, entry: LogEntry, body: memoryview, cut: int | None) -> None:
        owner = self.owner
        limit = len(body) if cut is None else min(cut, len(body))
        started = time.monotonic()
        sent = 0
        try:
            while sent < limit:
                block = body[sent : min(sent + owner.block_size, limit)]
                self.wfile.write(block)
                sent += len(block)
                with owner.lock:
                    entry.bytes_sent = sent
                if owner.rate_limit:
                    ahead = sent / owner.rate_limit - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return
        if cut is not None and limit < len(body):
            # Cut the response mid-body: the client sees fewer bytes than Content-Length.
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        entry.complete = True


@dataclass
class FakeStore:
    """A URL JSON whose shards the server serves: ``data`` maps ``<seq>/shards-NNNN.tar`` to bytes."""

    json_path: Path
    config: str
    data: dict[str, bytes]
    server: FaultServer

    def server_path(self, relpath: str) -> str:
        return f"/{self.config}/{relpath}"

    def requests_for(self, relpath: str) -> list[LogEntry]:
        return self.server.requests_for(self.server_path(relpath))


def shard_bytes(name: str, size: int) -> bytes:
    """Deterministic pseudo-random content for a shard."""
    return random.Random(name).randbytes(size)


def build_store(
    server: FaultServer,
    json_path: Path,
    sequences: dict[str, int],
    *,
    shard_size: int = 64 * 1024,
    config: str = "efm",
    other_configs: tuple[str, ...] = ("cubercnn",),
) -> FakeStore:
    """Serve ``sequences`` (name -> shard count) and write a URL JSON for them to ``json_path``."""
    data: dict[str, bytes] = {}
    urls: dict[str, dict[str, dict[str, object]]] = {}
    for seq, count in sequences.items():
        urls[seq] = {}
        for index in range(count):
            relpath = f"{seq}/shards-{index:04d}.tar"
            body = shard_bytes(f"{config}/{relpath}", shard_size)
            data[relpath] = body
            urls[seq][f"shards-{index:04d}_tar"] = {
                "filename": f"Fake_ATEK_{config}_{seq}_shards-{index:04d}.tar",
                "sha1sum": hashlib.sha1(body, usedforsecurity=False).hexdigest(),
                "file_size_bytes": len(body),
                "download_url": server.add(f"{config}/{relpath}", body),
            }
    configs: dict[str, object] = {config: {"wds_file_urls": urls}}
    for other in other_configs:
        configs[other] = {"wds_file_urls": {}}
    document = {
        "raw_dataset_name": "ADT",
        "raw_dataset_release_version": "test",
        "atek_data_for_all_configs": configs,
    }
    Path(json_path).write_text(json.dumps(document, indent=1))
    return FakeStore(json_path=Path(json_path), config=config, data=data, server=server)


def download_args(
    json_path: Path, out: Path, *extra: str, config: str = "efm", local: bool = True
) -> list[str]:
    """``atek-store download`` arguments for ``config`` into ``out`` (a local download by default)."""
    return [
        "download",
        "--config-name",
        config,
        "--input-json-path",
        str(json_path),
        "--output-folder-path",
        str(out),
        *(["--download-wds-to-local"] if local else []),
        *extra,
    ]
