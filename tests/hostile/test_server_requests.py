"""Hostile raw HTTP requests against a real ``atek-store serve`` process.

Each case sends what once froze or flooded the server (a backtracking Range, hundreds of idle
connections under a small descriptor limit, a FIFO in the root, clients that reset or stop
reading, malformed and oversized requests) and checks, beside it, that a normal request is still
answered, that nothing was logged as a traceback, and that the server's memory stayed small.
Figures (the normal request's latency beside each case) are in ``benchmarks/server_hostile.py``.
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.server_child import ChildServer, connect, get, read_answer, request, serve_in_child

NORMAL = "/cfg/seq/shards-0000.tar"
BIG = "/cfg/seq/big.tar"
MAX_RSS_MB = 500


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile-store")
    (root / "cfg" / "seq").mkdir(parents=True)
    (root / NORMAL[1:]).write_bytes(random.Random(1).randbytes(64 << 10))
    (root / BIG[1:]).write_bytes(random.Random(2).randbytes(16 << 20))
    os.mkfifo(root / "cfg" / "seq" / "pipe.tar")
    return root


@pytest.fixture(scope="module")
def server(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChildServer]:
    with serve_in_child(
        root, tmp_path_factory.mktemp("server"), args=["--idle-timeout", "1"], max_descriptors=256
    ) as child:
        yield child
        assert child.peak_rss_mb() < MAX_RSS_MB
    assert child.process.returncode == 0


def assert_normal_request_answered(server: ChildServer, root: Path) -> None:
    status, _, body = get(server.port, NORMAL)
    assert status == 200
    assert body == (root / NORMAL[1:]).read_bytes()


def assert_log_clean(server: ChildServer) -> None:
    log = server.log_text()
    assert "Traceback" not in log, log[-4000:]
    assert " ERROR " not in log, log[-4000:]


def test_backtracking_range_is_refused_at_once_and_others_are_served(server: ChildServer, root: Path) -> None:
    hostile = "bytes=" + " " * 4000 + "-" + " " * 4000 + "x"
    for _ in range(3):
        status, headers, _ = get(server.port, NORMAL, headers=f"Range: {hostile}\r\n")
        assert status == 416
        assert headers["content-range"] == f"bytes */{64 << 10}"
        assert_normal_request_answered(server, root)
    assert_log_clean(server)


def test_range_parsing_still_serves_ordinary_ranges(server: ChildServer, root: Path) -> None:
    data = (root / NORMAL[1:]).read_bytes()
    status, _, body = get(server.port, NORMAL, headers="Range: bytes = 10 - 19 \r\n")
    assert (status, body) == (206, data[10:20])
    status, _, body = get(server.port, NORMAL, headers="Range: bytes=-5\r\n")
    assert (status, body) == (206, data[-5:])
    status, _, _ = get(server.port, NORMAL, headers="Range: bytes=" + "1" * 300 + "-\r\n")
    assert status == 416


def test_idle_connections_beyond_the_descriptor_limit_leave_service_running(
    server: ChildServer, root: Path
) -> None:
    idle = [connect(server.port) for _ in range(300)]
    try:
        for _ in range(3):
            assert_normal_request_answered(server, root)
    finally:
        for conn in idle:
            conn.close()
    assert_normal_request_answered(server, root)
    log = server.log_text()
    assert len(log) < 64 << 10
    assert_log_clean(server)


def test_a_client_that_never_finishes_its_headers_is_disconnected(server: ChildServer, root: Path) -> None:
    with connect(server.port) as conn:
        conn.sendall(b"GET /cfg/seq/shards-0000.tar HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        assert_normal_request_answered(server, root)
        # The server closes it after the idle timeout (1 s here); the socket timeout bounds the wait.
        assert conn.recv(1024) == b""


def test_a_fifo_in_the_root_does_not_block_the_server(server: ChildServer, root: Path) -> None:
    answers: list[int] = []

    def fetch() -> None:
        answers.append(get(server.port, "/cfg/seq/pipe.tar")[0])

    threads = [threading.Thread(target=fetch) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [404] * 16
    assert_normal_request_answered(server, root)
    assert_log_clean(server)


def test_clients_that_reset_right_after_their_request_log_no_traceback(
    server: ChildServer, root: Path
) -> None:
    for _ in range(20):
        conn = connect(server.port)
        conn.sendall(f"GET {BIG} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        # SO_LINGER 0: close() sends a reset instead of a FIN.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
    assert_normal_request_answered(server, root)
    assert_log_clean(server)


def test_a_client_that_stops_reading_is_dropped_and_others_are_served(
    server: ChildServer, root: Path
) -> None:
    with socket.socket() as conn:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
        conn.settimeout(10)
        conn.connect(("127.0.0.1", server.port))
        conn.sendall(f"GET {BIG} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert_normal_request_answered(server, root)
        # Not reading for several idle timeouts (1 s here): the server resets this connection.
        time.sleep(3)
        received = 0
        with contextlib.suppress(ConnectionResetError):
            while chunk := conn.recv(1 << 20):
                received += len(chunk)
        assert received < 16 << 20
    assert_log_clean(server)


@pytest.mark.parametrize(
    ("raw", "statuses"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n", {400, 431}),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(64) + b"\r\n\r\n", {400}),
        (b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404, 405, 501}),
        (b"GET /" + b"a/" * 3000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404, 414}),
        (b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", {404}),
        (
            b"GET /cfg/seq/shards-0000.tar HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\nab",
            {200, 413},
        ),
    ],
    ids=["huge-header", "tls-hello", "unknown-method", "long-path", "encoded-dots", "unsent-body"],
)
def test_malformed_requests_are_refused_quietly(
    server: ChildServer, root: Path, raw: bytes, statuses: set[int]
) -> None:
    try:
        status, _, _ = request(server.port, raw)
    except ConnectionError:
        status = 400  # closed without an answer is as good as a refusal
    assert status in statuses
    assert_normal_request_answered(server, root)
    assert_log_clean(server)


def test_pipelined_requests_are_answered_in_order(server: ChildServer, root: Path) -> None:
    one = f"GET {NORMAL} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    with connect(server.port) as conn:
        conn.sendall(one * 5)
        reader = conn.makefile("rb")
        for _ in range(5):
            status, _, body = read_answer(conn, reader)
            assert status == 200
            assert len(body) == 64 << 10
