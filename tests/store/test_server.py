"""The store server, started for real on loopback and spoken to with urllib3 and raw sockets."""

from __future__ import annotations

import hashlib
import os
import random
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import urllib3

from atek_store import StoreServer, UrlSigner, start_store_server
from atek_store.errors import StoreError, UsageError
from tests.store.builders import build_store

SECRET = "server-test-secret-0123456789"
BIG = "efm/seqC/big-0000.tar"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, golden_dir: Path) -> Path:
    root = build_store(tmp_path_factory.mktemp("store"), golden_dir)
    # A larger file for concurrency and shutdown tests (the server serves any plain file name).
    (root / BIG).write_bytes(random.Random(7).randbytes(24 << 20))
    (root / "efm" / ".hidden").write_bytes(b"private")
    (tmp_path_factory.getbasetemp() / "outside.txt").write_bytes(b"outside the root")
    (root / "efm" / "escape.tar").symlink_to(tmp_path_factory.getbasetemp() / "outside.txt")
    return root


@pytest.fixture(scope="module")
def server(store: Path) -> Iterator[StoreServer]:
    with start_store_server(store) as running:
        yield running


@pytest.fixture(scope="module")
def signed_server(store: Path) -> Iterator[StoreServer]:
    with start_store_server(store, secret=SECRET) as running:
        yield running


@pytest.fixture(scope="module")
def http() -> urllib3.PoolManager:
    return urllib3.PoolManager(maxsize=64, retries=False, timeout=30)


def raw_get(server: StoreServer, target: str) -> tuple[int, bytes]:
    """Send a request line exactly as written (no client-side path normalisation)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode("latin-1"))
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


def test_get_sends_the_whole_file_with_validators(
    server: StoreServer, store: Path, http: urllib3.PoolManager
) -> None:
    path = store / "cubercnn" / "seqA" / "shards-0000.tar"
    response = http.request("GET", f"{server.url}/cubercnn/seqA/shards-0000.tar")
    assert response.status == 200
    assert response.data == path.read_bytes()
    assert response.headers["Content-Length"] == str(path.stat().st_size)
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Type"] == "application/x-tar"
    assert response.headers["ETag"].startswith('"')
    assert "Last-Modified" in response.headers


def test_head_answers_like_get_without_a_body(
    server: StoreServer, store: Path, http: urllib3.PoolManager
) -> None:
    url = f"{server.url}/efm/seqB/shards-0000.tar"
    head = http.request("HEAD", url)
    get = http.request("GET", url)
    assert head.status == 200
    assert head.data == b""
    assert head.headers["Content-Length"] == str((store / "efm/seqB/shards-0000.tar").stat().st_size)
    assert head.headers["ETag"] == get.headers["ETag"]


def test_range_requests_get_206_with_content_range(
    server: StoreServer, store: Path, http: urllib3.PoolManager
) -> None:
    data = (store / "efm/seqB/shards-0000.tar").read_bytes()
    url = f"{server.url}/efm/seqB/shards-0000.tar"
    for header, start, stop in [("bytes=100-199", 100, 200), ("bytes=-512", len(data) - 512, len(data))]:
        response = http.request("GET", url, headers={"Range": header})
        assert response.status == 206
        assert response.data == data[start:stop]
        assert response.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{len(data)}"
        assert response.headers["Content-Length"] == str(stop - start)
    head = http.request("HEAD", url, headers={"Range": "bytes=10-19"})
    assert head.status == 206
    assert head.headers["Content-Length"] == "10"


def test_unsatisfiable_range_gets_416(server: StoreServer, store: Path, http: urllib3.PoolManager) -> None:
    size = (store / "efm/seqB/shards-0000.tar").stat().st_size
    response = http.request(
        "GET", f"{server.url}/efm/seqB/shards-0000.tar", headers={"Range": f"bytes={size}-"}
    )
    assert response.status == 416
    assert response.headers["Content-Range"] == f"bytes */{size}"


def test_resuming_a_changed_file_gets_the_whole_new_file(
    server: StoreServer, http: urllib3.PoolManager
) -> None:
    url = f"{server.url}/efm/seqB/shards-0000.tar"
    etag = http.request("HEAD", url).headers["ETag"]
    assert http.request("GET", url, headers={"Range": "bytes=5-9", "If-Range": etag}).status == 206
    changed = http.request("GET", url, headers={"Range": "bytes=5-9", "If-Range": '"old-etag"'})
    assert changed.status == 200
    assert http.request("GET", url, headers={"If-None-Match": etag}).status == 304


@pytest.mark.parametrize(
    "target",
    [
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/efm/%2e%2e/%2e%2e/outside.txt",
        "/efm/..%2f..%2foutside.txt",
        "//etc/passwd",
        "/efm/seqB/..\\..\\..\\etc\\passwd",
        "/efm/.hidden",
        "/efm/escape.tar",
        "/efm/seqB/shards-0000.tar%00.txt",
        "/efm/seqB/missing.tar",
        "/efm/seqB",
    ],
)
def test_paths_outside_the_store_are_refused(server: StoreServer, target: str) -> None:
    status, body = raw_get(server, target)
    assert status in (403, 404)
    assert b"root:" not in body
    assert b"outside the root" not in body
    assert b"private" not in body


def test_sixty_four_concurrent_range_downloads_complete(
    server: StoreServer, store: Path, http: urllib3.PoolManager
) -> None:
    data = (store / BIG).read_bytes()
    rng = random.Random(3)
    ranges = []
    for _ in range(64):
        start = rng.randrange(len(data) - 2)
        ranges.append((start, min(len(data), start + rng.randrange(1, 4 << 20))))
    barrier = threading.Barrier(64)

    def fetch(span: tuple[int, int]) -> tuple[int, str]:
        barrier.wait(timeout=30)
        response = http.request(
            "GET", f"{server.url}/{BIG}", headers={"Range": f"bytes={span[0]}-{span[1] - 1}"}
        )
        return response.status, hashlib.sha1(response.data, usedforsecurity=False).hexdigest()

    with ThreadPoolExecutor(max_workers=64) as pool:
        results = list(pool.map(fetch, ranges))
    assert results == [(206, hashlib.sha1(data[a:b], usedforsecurity=False).hexdigest()) for a, b in ranges]


def signed(server: StoreServer, relpath: str, expires: int, secret: str = SECRET) -> str:
    return UrlSigner(secret).sign_url(server.url, relpath, expires)


def test_a_signed_url_is_served(signed_server: StoreServer, store: Path, http: urllib3.PoolManager) -> None:
    url = signed(signed_server, "efm/seqC/shards-0000.tar", int(time.time()) + 3600)
    response = http.request("GET", url, headers={"Range": "bytes=0-1023"})
    assert response.status == 206
    assert response.data == (store / "efm/seqC/shards-0000.tar").read_bytes()[:1024]
    assert http.request("HEAD", url).status == 200


def test_an_expired_url_gets_403_saying_expired(
    signed_server: StoreServer, http: urllib3.PoolManager
) -> None:
    url = signed(signed_server, "efm/seqC/shards-0000.tar", int(time.time()) - 3 * 86400)
    for method in ("GET", "HEAD"):
        response = http.request(method, url)
        assert response.status == 403
    body = http.request("GET", url).data.decode()
    assert "expired" in body
    assert "3 days ago" in body


def test_a_tampered_signature_gets_403_saying_tampered(
    signed_server: StoreServer, http: urllib3.PoolManager
) -> None:
    url = signed(signed_server, "efm/seqC/shards-0000.tar", int(time.time()) + 3600)
    tampered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    response = http.request("GET", tampered)
    assert response.status == 403
    assert "tampered" in response.data.decode()
    assert "expired" not in response.data.decode()


def test_a_signature_for_another_shard_or_secret_gets_403(
    signed_server: StoreServer, http: urllib3.PoolManager
) -> None:
    expires = int(time.time()) + 3600
    url = signed(signed_server, "efm/seqC/shards-0000.tar", expires)
    moved = url.replace("efm/seqC/shards-0000.tar", "efm/seqB/shards-0000.tar")
    assert http.request("GET", moved).status == 403
    other = signed(signed_server, "efm/seqC/shards-0000.tar", expires, secret=SECRET + "-other")
    assert http.request("GET", other).status == 403


def test_an_unsigned_url_gets_403_saying_how_to_get_one(
    signed_server: StoreServer, http: urllib3.PoolManager
) -> None:
    response = http.request("GET", f"{signed_server.url}/efm/seqC/shards-0000.tar")
    assert response.status == 403
    assert "signed" in response.data.decode()


def test_duplicate_signature_parameters_are_refused(
    signed_server: StoreServer, http: urllib3.PoolManager
) -> None:
    url = signed(signed_server, "efm/seqC/shards-0000.tar", int(time.time()) + 3600)
    assert http.request("GET", url + "&Expires=1").status == 403


def test_unsigned_clients_cannot_probe_which_files_exist(
    signed_server: StoreServer, http: urllib3.PoolManager
) -> None:
    exists = http.request("GET", f"{signed_server.url}/efm/seqC/shards-0000.tar")
    missing = http.request("GET", f"{signed_server.url}/efm/seqC/shards-9999.tar")
    assert exists.status == missing.status == 403


def test_shutdown_lets_a_download_in_flight_finish(store: Path) -> None:
    data = (store / BIG).read_bytes()
    running = start_store_server(store, shutdown_timeout=20)
    with socket.create_connection(("127.0.0.1", running.port), timeout=30) as conn:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
        conn.sendall(f"GET /{BIG} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        received = conn.recv(65536)
        stopper = threading.Thread(target=running.stop)
        stopper.start()
        time.sleep(0.3)  # the server is now shutting down with our download in flight
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", running.port), timeout=5).close()
        while chunk := conn.recv(1 << 20):
            received += chunk
        stopper.join(timeout=30)
    assert not stopper.is_alive()
    assert received.partition(b"\r\n\r\n")[2] == data


def test_starting_on_a_port_in_use_fails_clearly(store: Path, server: StoreServer) -> None:
    with pytest.raises(StoreError, match="cannot listen"):
        start_store_server(store, port=server.port)


def test_a_missing_root_or_empty_secret_fails_up_front(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a folder"):
        start_store_server(tmp_path / "missing")
    with pytest.raises(UsageError, match="secret"):
        start_store_server(tmp_path, secret="")


def test_the_server_stops_and_frees_its_port(store: Path) -> None:
    with start_store_server(store) as running:
        port = running.port
        assert urllib3.PoolManager(retries=False).request("HEAD", f"{running.url}/{BIG}").status == 200
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    assert os.path.exists(store / BIG)


def test_a_client_that_hangs_up_mid_download_is_not_an_error(
    server: StoreServer, store: Path, http: urllib3.PoolManager, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("ERROR"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
            conn.sendall(f"GET /{BIG} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            conn.recv(1000)
        time.sleep(0.3)
        response = http.request("GET", f"{server.url}/{BIG}", headers={"Range": "bytes=0-99"})
    assert response.data == (store / BIG).read_bytes()[:100]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
