"""Run ``atek-store serve`` in a child process for hostile-request tests, and speak raw HTTP to it.

The server runs as a real process (its own descriptor limit, its own log on stderr, its peak RSS
read from ``/proc``), so a hostile request that froze or crashed it could not take the test
process along.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tests.bounded import REPO_ROOT

_READY = re.compile(rb"serving .* at http://127\.0\.0\.1:(\d+)")
# A normal request must be answered within this bound whatever the hostile clients do; it is a
# bound on liveness (the unfixed server took minutes), not a speed measurement.
ANSWER_WITHIN_S = 10.0


@dataclass
class ChildServer:
    """A running ``atek-store serve`` child."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def log_text(self) -> str:
        """Everything the server wrote to stderr so far."""
        return self.log.read_text(errors="replace")

    def peak_rss_mb(self) -> float:
        """The child's peak resident memory (VmHWM)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kilobytes = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        return kilobytes / 1024


@contextlib.contextmanager
def serve_in_child(
    root: Path, tmp: Path, *, args: Sequence[str] = (), max_descriptors: int | None = None
) -> Iterator[ChildServer]:
    """Start ``atek-store serve ROOT --port 0`` in a child; stop it with SIGTERM on exit."""

    def limit() -> None:  # runs in the child before exec
        if max_descriptors is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max_descriptors, max_descriptors))

    log = tmp / "server.log"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src"), "ATEK_STORE_LOG_LEVEL": "INFO"}
    env.pop("ATEK_STORE_SECRET", None)
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "atek_store", "serve", str(root), "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            env=env,
            preexec_fn=limit,  # only setrlimit, before exec
        )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = _READY.search(line)
        assert match, f"the server did not start: {line!r}\n{log.read_text(errors='replace')}"
        yield ChildServer(process, int(match.group(1)), log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def connect(port: int, *, timeout: float = ANSWER_WITHIN_S) -> socket.socket:
    """A TCP connection to the child server."""
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def read_answer(conn: socket.socket, reader: BinaryIO | None = None) -> tuple[int, dict[str, str], bytes]:
    """Read one whole HTTP/1.1 answer (status, headers, body by Content-Length) from ``conn``.

    Pass the same ``reader`` (``conn.makefile("rb")``) for several answers on one connection.
    """
    stream = reader if reader is not None else conn.makefile("rb")
    status_line = stream.readline()
    if not status_line:
        raise ConnectionError("connection closed before the answer")
    headers = {}
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = stream.read(int(headers.get("content-length", "0")))
    return int(status_line.split(b" ")[1]), headers, body


def request(port: int, raw: bytes, *, timeout: float = ANSWER_WITHIN_S) -> tuple[int, dict[str, str], bytes]:
    """Send ``raw`` bytes on a new connection and read the answer."""
    with connect(port, timeout=timeout) as conn:
        conn.sendall(raw)
        return read_answer(conn)


def get(port: int, path: str, *, headers: str = "") -> tuple[int, dict[str, str], bytes]:
    """A normal GET, answered within :data:`ANSWER_WITHIN_S` or the test fails."""
    raw = f"GET {path} HTTP/1.1\r\nHost: store\r\n{headers}Connection: close\r\n\r\n".encode("latin-1")
    return request(port, raw)
