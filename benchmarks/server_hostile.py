"""Latency of a normal request beside each hostile one, against a real ``atek-store serve`` process.

    .venv/bin/python benchmarks/server_hostile.py [--repeat 20]

The server runs with a 256-descriptor limit and a 2 s idle timeout. For each hostile case (the
cases of ``tests/hostile/test_server_requests.py``), the hostile clients are started, then normal
GETs of a 64 KiB shard are timed while they are active; the script prints the median and worst
latency per case, the server's peak RSS and whether its log holds a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import socket
import statistics
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.hostile.server_child import ChildServer, connect, get, serve_in_child  # noqa: E402

NORMAL = "/cfg/seq/shards-0000.tar"
BIG = "/cfg/seq/big.tar"


def _store(root: Path) -> None:
    (root / "cfg" / "seq").mkdir(parents=True)
    (root / NORMAL[1:]).write_bytes(random.Random(1).randbytes(64 << 10))
    (root / BIG[1:]).write_bytes(random.Random(2).randbytes(32 << 20))
    os.mkfifo(root / "cfg" / "seq" / "pipe.tar")


@contextlib.contextmanager
def _idle_connections(port: int) -> Iterator[None]:
    conns = [connect(port) for _ in range(300)]
    try:
        yield
    finally:
        for conn in conns:
            conn.close()


@contextlib.contextmanager
def _in_a_loop(port: int, action: Callable[[int], None]) -> Iterator[None]:
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                action(port)

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)


def _backtracking_range(port: int) -> None:
    get(port, NORMAL, headers="Range: bytes=" + " " * 4000 + "-" + " " * 4000 + "x\r\n")


def _fifo(port: int) -> None:
    get(port, "/cfg/seq/pipe.tar")


def _reset(port: int) -> None:
    conn = connect(port)
    conn.sendall(f"GET {BIG} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def _slow_headers(port: int) -> None:
    with connect(port) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        conn.recv(1)  # until the server closes it (the idle timeout)


def _stalled_reader(port: int) -> None:
    with socket.socket() as conn:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        conn.settimeout(30)
        conn.connect(("127.0.0.1", port))
        conn.sendall(f"GET {BIG} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        time.sleep(5)


def _huge_header(port: int) -> None:
    with connect(port) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n")
        conn.recv(1024)


CASES: dict[str, Callable[[int], contextlib.AbstractContextManager[None]]] = {
    "none (baseline)": lambda port: contextlib.nullcontext(),
    "backtracking Range x4 in a loop": lambda port: _in_a_loop(port, _backtracking_range),
    "300 idle connections, 256 descriptors": _idle_connections,
    "FIFO requests x4 in a loop": lambda port: _in_a_loop(port, _fifo),
    "reset after request x4 in a loop": lambda port: _in_a_loop(port, _reset),
    "slow headers x4 in a loop": lambda port: _in_a_loop(port, _slow_headers),
    "stalled readers x4 in a loop": lambda port: _in_a_loop(port, _stalled_reader),
    "100 KB header x4 in a loop": lambda port: _in_a_loop(port, _huge_header),
}


def _timed(server: ChildServer, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        status, _, body = get(server.port, NORMAL)
        times.append(time.perf_counter() - started)
        assert status == 200
        assert len(body) == 64 << 10
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="normal requests timed per case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "store"
        _store(root)
        with serve_in_child(
            root, Path(tmp), args=["--idle-timeout", "2", "--no-access-log"], max_descriptors=256
        ) as server:
            print(f"{'hostile case':42} {'median ms':>10} {'worst ms':>10}")
            for name, case in CASES.items():
                with case(server.port):
                    time.sleep(0.5)  # let the hostile clients get going
                    times = _timed(server, args.repeat)
                print(f"{name:42} {statistics.median(times) * 1e3:10.1f} {max(times) * 1e3:10.1f}")
            log = server.log_text()
            traceback = "Traceback" in log
            print(
                f"server peak RSS {server.peak_rss_mb():.0f} MB; log {len(log)} bytes; traceback: {traceback}"
            )


if __name__ == "__main__":
    main()
