"""The urllib3 transport against the loopback server: ranges, redirects, deadlines, credentials."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterator
from contextlib import closing

import pytest

from atek_store.errors import TransferError
from atek_store.http import HttpTransport, TransferResponse, open_ranged
from tests.fault_server import Fault, FaultServer


def drain(response: TransferResponse, into: list[bytes]) -> None:
    try:
        while piece := response.read(1 << 16):
            into.append(piece)
    finally:
        response.close()


def read_all(transport: HttpTransport, url: str, **kwargs: int) -> tuple[int, bytes]:
    response = transport.get(url, **kwargs)
    pieces: list[bytes] = []
    drain(response, pieces)
    return response.status, b"".join(pieces)


DATA = bytes(range(256)) * 400


@pytest.fixture
def transport() -> Iterator[HttpTransport]:
    with closing(HttpTransport(max_connections=2, timeout=5)) as made:
        yield made


def test_a_range_request_gets_its_bytes(fault_server: FaultServer, transport: HttpTransport) -> None:
    url = fault_server.add("f.bin", b"0123456789")
    assert read_all(transport, url, offset=4) == (206, b"456789")
    assert read_all(transport, url, offset=2, end=5) == (206, b"234")
    assert [entry.range for entry in fault_server.log] == ["bytes=4-", "bytes=2-4"]
    assert fault_server.log[0].headers["accept-encoding"] == "identity"


def test_a_body_read_to_its_length_returns_the_connection_to_the_pool(
    fault_server: FaultServer, transport: HttpTransport
) -> None:
    url = fault_server.add("f.bin", DATA)
    for _ in range(3):
        body = open_ranged(transport, url, expected_size=len(DATA))
        received = b""
        while len(received) < len(DATA):  # up to its length: nothing tells it the body ended
            received += body.read(len(DATA) - len(received))
        body.close()
        assert received == DATA
    assert len({entry.client_port for entry in fault_server.log}) == 1


def test_redirects_are_followed_and_credentials_stay_with_their_origin(
    fault_server: FaultServer, transport: HttpTransport
) -> None:
    with FaultServer() as other:
        target = other.add("moved.bin", b"payload")
        fault_server.faults["/hop"] = Fault(redirect="/jump")
        fault_server.faults["/jump"] = Fault(redirect=target)
        url = fault_server.url("hop").replace("http://", "http://user:pw@")
        assert read_all(transport, url) == (200, b"payload")
        basic = "Basic " + base64.b64encode(b"user:pw").decode()
        assert [e.headers.get("authorization") for e in fault_server.log] == [basic, basic]
        assert "authorization" not in other.log[0].headers


@pytest.mark.parametrize(
    ("location", "message"),
    [("file:///etc/passwd", "redirected to a file: URL"), ("/loop", "redirected more than 5 times")],
)
def test_redirects_elsewhere_or_in_circles_fail_at_once(
    fault_server: FaultServer, transport: HttpTransport, location: str, message: str
) -> None:
    fault_server.faults["/loop"] = Fault(redirect=location)
    with pytest.raises(TransferError, match=message) as info:
        transport.get(fault_server.url("loop"))
    assert not info.value.retryable
    assert "Signature" not in str(info.value)


def test_headers_trickled_a_byte_at_a_time_hit_the_header_deadline(fault_server: FaultServer) -> None:
    fault_server.add("slow.bin", b"x")
    fault_server.faults["/slow.bin"] = Fault(header_rate=20)  # each byte well within the read timeout
    with (
        closing(HttpTransport(timeout=1.0)) as transport,
        pytest.raises(TransferError, match="no complete response headers within 1 s") as info,
    ):
        transport.get(fault_server.url("slow.bin"))
    assert info.value.retryable


def test_a_silent_body_hits_the_read_timeout(fault_server: FaultServer) -> None:
    url = fault_server.add("f.bin", bytes(100_000))
    fault_server.faults["/f.bin"] = Fault(rate=1000, chunk=50_000)  # the second write comes after 50 s
    with (
        closing(HttpTransport(timeout=0.3)) as transport,
        pytest.raises(TransferError, match="broke off") as info,
    ):
        drain(transport.get(url), [])
    assert info.value.retryable


def test_a_cut_body_raises_a_retryable_error(fault_server: FaultServer, transport: HttpTransport) -> None:
    url = fault_server.add("f.bin", bytes(100_000))
    fault_server.faults["/f.bin"] = Fault(cut_after=30_000)
    received: list[bytes] = []
    with pytest.raises(TransferError, match="broke off") as info:
        drain(transport.get(url), received)
    assert info.value.retryable
    assert sum(map(len, received)) == 30_000


def test_an_encoded_body_is_never_inflated(fault_server: FaultServer, transport: HttpTransport) -> None:
    bomb = gzip.compress(bytes(8 << 20))
    fault_server.add("bomb.tar", b"")
    fault_server.faults["/bomb.tar"] = Fault(body=bomb, content_encoding="gzip")
    assert read_all(transport, fault_server.url("bomb.tar")) == (200, bomb)


def test_an_unreachable_server_is_a_retryable_error(refused_url: str, transport: HttpTransport) -> None:
    with pytest.raises(TransferError, match="cannot reach .*refused") as info:
        transport.get(refused_url)
    assert info.value.retryable


def test_a_garbage_answer_is_a_retryable_error(fault_server: FaultServer, transport: HttpTransport) -> None:
    fault_server.faults["/x"] = Fault(raw=b"SPEAK FRIEND\r\n\r\n")
    with pytest.raises(TransferError, match="cannot reach") as info:
        transport.get(fault_server.url("x"))
    assert info.value.retryable
