"""The contract every transport keeps (http, file, routing, the handler double): same answers, same errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from atek_store.errors import TransferError
from atek_store.http import (
    FileTransport,
    HandlerTransport,
    HttpTransport,
    RoutingTransport,
    StubRequest,
    StubResponse,
    TransferResponse,
    Transport,
    answer_range,
    open_ranged,
)
from tests.fault_server import FaultServer

DATA = bytes(range(256)) * 1000  # 256,000 bytes


@dataclass
class Subject:
    transport: Transport
    url: str  # serves DATA
    missing: str  # serves nothing


def _http(tmp_path: Path) -> Iterator[Subject]:
    with FaultServer() as server:
        yield Subject(HttpTransport(timeout=5), server.add("data.bin", DATA), server.url("missing.bin"))


def _file(tmp_path: Path) -> Iterator[Subject]:
    (tmp_path / "data.bin").write_bytes(DATA)
    yield Subject(FileTransport(), (tmp_path / "data.bin").as_uri(), (tmp_path / "missing.bin").as_uri())


def _routed(inner: Callable[[Path], Iterator[Subject]]) -> Callable[[Path], Iterator[Subject]]:
    def make(tmp_path: Path) -> Iterator[Subject]:
        for subject in inner(tmp_path):
            routes = {"http": subject.transport, "file": subject.transport}
            yield Subject(RoutingTransport(routes), subject.url, subject.missing)

    return make


def _handler(tmp_path: Path) -> Iterator[Subject]:
    def serve(request: StubRequest) -> StubResponse:
        if request.url != "stub://data.bin":
            return StubResponse(404, {"Content-Length": "0"})
        return answer_range(DATA, request)

    yield Subject(HandlerTransport(serve), "stub://data.bin", "stub://missing.bin")


@pytest.fixture(
    params=[_http, _file, _routed(_http), _routed(_file), _handler],
    ids=["http", "file", "routing-http", "routing-file", "handler"],
)
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Subject]:
    made = request.param(tmp_path)
    value = next(made)
    yield value
    value.transport.close()
    value.transport.close()  # closing twice is harmless
    next(made, None)


def body(response: TransferResponse, size: int = 10_000) -> bytes:
    pieces = []
    try:
        while piece := response.read(size):
            assert len(piece) <= size
            pieces.append(piece)
    finally:
        response.close()
    response.close()  # idempotent
    return b"".join(pieces)


def test_a_whole_get_is_200_with_its_length(subject: Subject) -> None:
    response = subject.transport.get(subject.url)
    assert response.status == 200
    assert response.headers["content-length"] == str(len(DATA))  # header names are case-insensitive
    assert body(response) == DATA


def test_an_open_range_is_206_with_the_tail(subject: Subject) -> None:
    response = subject.transport.get(subject.url, offset=1000)
    assert response.status == 206
    assert response.headers["Content-Range"] == f"bytes 1000-{len(DATA) - 1}/{len(DATA)}"
    assert body(response) == DATA[1000:]


def test_a_closed_range_is_206_with_exactly_its_bytes(subject: Subject) -> None:
    response = subject.transport.get(subject.url, offset=10, end=5000)
    assert response.status == 206
    assert response.headers["Content-Range"] == f"bytes 10-4999/{len(DATA)}"
    assert body(response) == DATA[10:5000]


def test_a_range_past_the_end_is_416_with_the_size(subject: Subject) -> None:
    response = subject.transport.get(subject.url, offset=len(DATA))
    assert response.status == 416
    assert response.headers["Content-Range"] == f"bytes */{len(DATA)}"
    response.close()


def test_a_response_closed_early_releases_cleanly(subject: Subject) -> None:
    response = subject.transport.get(subject.url)
    assert response.read(100) == DATA[:100]
    response.close()
    assert body(subject.transport.get(subject.url, offset=5)) == DATA[5:]  # the transport still works


def test_a_missing_url_fails_without_retry(subject: Subject) -> None:
    with pytest.raises(TransferError) as info:
        open_ranged(subject.transport, subject.missing)
    assert not info.value.retryable


def test_every_transport_reads_the_same_through_the_ranged_body(subject: Subject) -> None:
    ranged = open_ranged(subject.transport, subject.url, start=77, expected_size=len(DATA))
    pieces = []
    while piece := ranged.read(4096):
        pieces.append(piece)
    ranged.close()
    assert b"".join(pieces) == DATA[77:]
    assert ranged.total == len(DATA)
