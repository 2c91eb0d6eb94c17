"""The streaming client: a stream that resumes by itself, whole and ranged fetches, one engine."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from atek_store.errors import TransferError, UrlsExpiredError
from atek_store.http import (
    HandlerTransport,
    HttpClient,
    HttpOptions,
    StubRequest,
    StubResponse,
    answer_range,
)
from tests.fault_server import Fault, FaultServer

DATA = bytes(range(251)) * 2000  # 502,000 bytes
QUICK = HttpOptions(backoff=0.01, retries=2, read_timeout=5)


@pytest.fixture
def client() -> Iterator[HttpClient]:
    made = HttpClient(QUICK)
    yield made
    made.close()


@pytest.mark.parametrize("ignore_range", [False, True])
def test_a_stream_resumes_after_dropped_connections(
    fault_server: FaultServer, client: HttpClient, ignore_range: bool
) -> None:
    url = fault_server.add("shard.tar", DATA)
    fault_server.faults["/shard.tar"] = Fault(cut_after=100_000, cut_times=2, ignore_range=ignore_range)
    with client.open(url) as stream:
        assert stream.read() == DATA
    client.close()
    # Ignoring Range, the second answer breaks off inside the bytes it must skip: no progress there.
    second_cut_at = 100_000 if ignore_range else 200_000
    assert [e.range for e in fault_server.requests_for("shard.tar")] == [
        None,
        "bytes=100000-",
        f"bytes={second_cut_at}-",
    ]


def test_fetch_range_and_fetch_into(fault_server: FaultServer, client: HttpClient) -> None:
    url = fault_server.add("shard.tar", DATA)
    assert client.fetch_range(url, 1000, 5000) == DATA[1000:5000]
    assert client.fetch_range(url, len(DATA) - 10, len(DATA) + 500) == DATA[-10:]  # the file ends first
    sink = io.BytesIO()
    assert client.fetch(url, sink, start=400_000) == len(DATA) - 400_000
    assert sink.getvalue() == DATA[400_000:]
    assert [e.range for e in fault_server.log] == [
        "bytes=1000-4999",
        f"bytes={len(DATA) - 10}-{len(DATA) + 499}",
        "bytes=400000-",
    ]


def test_a_range_fetch_resumes_inside_its_range(fault_server: FaultServer, client: HttpClient) -> None:
    url = fault_server.add("shard.tar", DATA)
    fault_server.faults["/shard.tar"] = Fault(cut_after=1000)
    assert client.fetch_range(url, 10_000, 20_000) == DATA[10_000:20_000]
    assert [e.range for e in fault_server.log] == ["bytes=10000-19999", "bytes=11000-19999"]


def test_refusal_and_absence_raise_at_open(fault_server: FaultServer, client: HttpClient) -> None:
    fault_server.add("gone.tar", DATA)
    fault_server.faults["/gone.tar"] = Fault(status=403)
    with pytest.raises(UrlsExpiredError):
        client.open(fault_server.url("gone.tar"))
    with pytest.raises(TransferError, match="HTTP 404") as info:
        client.open(fault_server.url("never.tar"))
    assert not info.value.retryable


def test_retries_wait_through_the_injected_sleep() -> None:
    answers = iter([StubResponse(503, {"Retry-After": "2"}), StubResponse(429)])

    def flaky(request: StubRequest) -> StubResponse:
        return next(answers, None) or answer_range(DATA, request)

    waits: list[float] = []
    client = HttpClient(
        HttpOptions(retries=2, backoff=0.5), transport=HandlerTransport(flaky), sleep=waits.append
    )
    with client.open("stub://x") as stream:
        assert stream.read() == DATA
    assert waits[0] == 2.0
    assert 0.5 <= waits[1] <= 1.0  # the second failure's backoff ceiling is 2 x 0.5 s


def test_the_retry_budget_runs_out() -> None:
    waits: list[float] = []
    transport = HandlerTransport(lambda request: StubResponse(500))
    client = HttpClient(HttpOptions(retries=3), transport=transport, sleep=waits.append)
    with pytest.raises(TransferError, match=r"HTTP 500 for stub://x \(gave up after 3 retries\)"):
        client.fetch_range("stub://x", 0, 10)
    assert len(transport.requests) == 4
    assert len(waits) == 3
