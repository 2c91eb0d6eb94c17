"""The transports: header parsing, status classification, timeouts, against the loopback server."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from atek_store.download.transport import (
    HttpTransport,
    check_status,
    parse_content_range,
    parse_retry_after,
    redact_url,
)
from atek_store.errors import TransferError, UrlsExpiredError
from tests.download.fake_store import Fault, FaultServer


def test_parse_content_range() -> None:
    span = parse_content_range("bytes 100-199/200")
    assert span is not None
    assert (span.first, span.last, span.total) == (100, 199, 200)
    star = parse_content_range("bytes 0-9/*")
    assert star is not None
    assert star.total is None
    assert parse_content_range("items 0-9/10") is None
    assert parse_content_range(None) is None


def test_parse_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("7") == 7.0
    now = time.time()
    later = parse_retry_after(formatdate(now + 30, usegmt=True), now=now)
    assert later is not None
    assert 28 <= later <= 31
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_redact_url_drops_the_signature() -> None:
    assert redact_url("https://cdn/x.tar?Signature=secret&Expires=1") == "https://cdn/x.tar?…"


def test_ranged_get_returns_206_with_the_tail(fault_server: FaultServer) -> None:
    url = fault_server.add("f.bin", b"0123456789")
    transport = HttpTransport(max_connections=2, timeout=5)
    response = transport.get(url, offset=4)
    try:
        assert response.status == 206
        assert response.headers["Content-Range"] == "bytes 4-9/10"
        assert b"".join(response.chunks(3)) == b"456789"
    finally:
        response.close()
        transport.close()
    assert fault_server.log[0].range == "bytes=4-"


@pytest.mark.parametrize(("status", "kind"), [(403, UrlsExpiredError), (401, UrlsExpiredError)])
def test_refused_signature_is_urls_expired(
    fault_server: FaultServer, status: int, kind: type[Exception]
) -> None:
    url = fault_server.add("f.bin", b"x")
    fault_server.faults["/f.bin"] = Fault(status=status)
    transport = HttpTransport(timeout=5)
    response = transport.get(url)
    with pytest.raises(kind, match="expired"):
        check_status(response, url)
    response.close()
    transport.close()


def test_503_is_retryable_with_retry_after_and_404_is_not(fault_server: FaultServer) -> None:
    url = fault_server.add("f.bin", b"x")
    fault_server.faults["/f.bin"] = Fault(status=503, retry_after="4")
    transport = HttpTransport(timeout=5)
    response = transport.get(url)
    with pytest.raises(TransferError) as info:
        check_status(response, url)
    response.close()
    assert info.value.retryable
    assert info.value.retry_after == 4.0
    missing = transport.get(url.replace("f.bin", "g.bin"))
    with pytest.raises(TransferError) as info:
        check_status(missing, url)
    missing.close()
    assert not info.value.retryable
    transport.close()


def test_cut_body_raises_a_retryable_error(fault_server: FaultServer) -> None:
    url = fault_server.add("f.bin", bytes(100_000))
    fault_server.faults["/f.bin"] = Fault(cut_after=30_000)
    transport = HttpTransport(timeout=5)
    response = transport.get(url)
    received: list[bytes] = []
    with pytest.raises(TransferError, match="broke off") as info:
        received.extend(response.chunks(1 << 20))
    response.close()
    transport.close()
    assert info.value.retryable
    assert sum(map(len, received)) == 30_000


def test_stalled_server_hits_the_read_timeout(fault_server: FaultServer) -> None:
    url = fault_server.add("f.bin", bytes(1_000_000))
    fault_server.rate_limit = 10_000  # 10 kB/s: the next 1 MiB block takes far longer than the timeout
    fault_server.block_size = 64 * 1024
    transport = HttpTransport(timeout=0.3)
    started = time.monotonic()
    response = transport.get(url)
    with pytest.raises(TransferError) as info:
        b"".join(response.chunks(1 << 20))
    response.close()
    transport.close()
    assert info.value.retryable
    assert time.monotonic() - started < 5


def test_unreachable_server_is_a_retryable_error() -> None:
    transport = HttpTransport(timeout=1)
    with pytest.raises(TransferError, match="cannot reach") as info:
        transport.get("http://127.0.0.1:9/x.tar")
    transport.close()
    assert info.value.retryable
