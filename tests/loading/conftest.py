"""Fixtures for the loader tests: small synthetic stores and a real loopback HTTP server."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from atek_store.synthetic import SyntheticConfig, write_synthetic_store

SMALL_CUBERCNN = SyntheticConfig(
    kind="cubercnn",
    samples_per_sequence=8,
    frames_per_sample=1,
    stride=2,
    rgb_size=(64, 48),
    slam_size=None,
    prefix="AtekSyntheticRelease",
    max_samples_per_shard=2,
    remove_last_tar_if_not_full=False,
    num_boxes=6,
)


@pytest.fixture(scope="session")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 sequences x 4 shards x 2 samples of small cubercnn-like data (keys repeat across sequences)."""
    root = tmp_path_factory.mktemp("small_store")
    write_synthetic_store(root, config=SMALL_CUBERCNN, sequences=3, seed=7)
    return root


@pytest.fixture(scope="session")
def small_urls(small_store: Path) -> list[str]:
    """The 12 shard paths of ``small_store``, sequence by sequence."""
    return [str(path) for path in sorted(small_store.glob("*/*.tar"))]


@dataclass
class StoreServer:
    """A loopback HTTP server over a folder, with a request log and fault switches."""

    root: Path
    port: int = 0
    requests: list[str] = field(default_factory=list)
    statuses: dict[str, list[int]] = field(default_factory=dict)  # path -> statuses to answer first
    cut_after: dict[str, int] = field(default_factory=dict)  # path -> drop the connection once, after N bytes
    ignore_range: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, relative: str | Path) -> str:
        return f"http://127.0.0.1:{self.port}/{Path(relative).as_posix()}"

    def publish(self, paths: list[str], store: Path) -> list[str]:
        """Copy shards (relative to ``store``) under the served root; return their URLs."""
        urls = []
        for path in paths:
            relative = Path(path).relative_to(store)
            target = self.root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            urls.append(self.url(relative))
        return urls

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.statuses.clear()
            self.cut_after.clear()
            self.ignore_range = False


_RANGE = re.compile(r"^bytes=(\d+)-$")


def _handler(server_state: StoreServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            pass

        def do_GET(self) -> None:
            path = unquote(urlsplit(self.path).path)
            with server_state.lock:
                server_state.requests.append(path)
                queued = server_state.statuses.get(path)
                status = queued.pop(0) if queued else None
                cut = server_state.cut_after.pop(path, None)
            if status is not None:
                body = f"injected {status}".encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            target = (server_state.root / path.lstrip("/")).resolve()
            if server_state.root not in target.parents or not target.is_file():
                self.send_error(404)
                return
            data = target.read_bytes()
            start = 0
            match = _RANGE.match(self.headers.get("Range", ""))
            if match and not server_state.ignore_range:
                start = int(match.group(1))
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            body = data[start:]
            if cut is not None:
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.close_connection = True
                self.connection.close()
                return
            self.wfile.write(body)

    return Handler


@pytest.fixture
def store_server(tmp_path: Path) -> Iterator[StoreServer]:
    """Serves ``tmp_path / "root"`` (tests put or link shards there) on 127.0.0.1."""
    root = (tmp_path / "root").resolve()
    root.mkdir()
    state = StoreServer(root)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
