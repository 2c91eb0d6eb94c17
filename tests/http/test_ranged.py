"""One positioned GET: the 200-to-Range rule, untrusted ranges, 416, declared sizes, bounded bodies."""

from __future__ import annotations

import pytest

from atek_store.errors import IntegrityError, TransferError
from atek_store.http import (
    HandlerTransport,
    StubRequest,
    StubResponse,
    answer_range,
    open_ranged,
    parse_content_range,
)
from atek_store.http.ranged import RangedBody, unsatisfied_total

DATA = bytes(range(200)) * 50  # 10,000 bytes


def read(body: RangedBody, size: int = 777) -> bytes:
    pieces = []
    while piece := body.read(size):
        pieces.append(piece)
    body.close()
    return b"".join(pieces)


def whole(request: StubRequest) -> StubResponse:
    """A server that ignores Range: always 200 with the whole file."""
    return StubResponse(200, {"Content-Length": str(len(DATA))}, [DATA])


def test_content_range_parsing() -> None:
    span = parse_content_range("bytes 100-199/200")
    assert span is not None
    assert (span.first, span.last, span.total) == (100, 199, 200)
    star = parse_content_range("bytes 0-9/*")
    assert star is not None
    assert star.total is None
    for bad in ("items 0-9/10", "bytes 9-0/10", "bytes 0-10/10", None, ""):
        assert parse_content_range(bad) is None
    assert unsatisfied_total("bytes */10000") == 10_000
    assert unsatisfied_total("bytes 0-1/2") is None


def test_a_200_to_a_range_request_drops_the_bytes_before_the_start() -> None:
    transport = HandlerTransport(whole)
    body = open_ranged(transport, "stub://x", start=6_000, expected_size=len(DATA))
    assert body.position == 6_000
    assert read(body) == DATA[6_000:]
    assert [(r.offset, r.end) for r in transport.requests] == [(6_000, None)]


def test_a_200_to_a_closed_range_stops_at_its_end() -> None:
    body = open_ranged(HandlerTransport(whole), "stub://x", start=100, end=300)
    assert read(body) == DATA[100:300]


def test_a_content_length_of_non_ascii_digits_counts_as_absent() -> None:
    # http.client decodes headers as latin-1: a byte 0xB2 arrives as '²', a digit to str.isdigit().
    answer = StubResponse(200, {"Content-Length": "\u00b2"}, [DATA])
    body = open_ranged(HandlerTransport(lambda request: answer), "stub://x", expected_size=len(DATA))
    assert body.total is None
    assert read(body) == DATA


@pytest.mark.parametrize(
    "content_range",
    [None, "bytes 0-9999/10000", "bytes 5000-9999", "bytes 4000-9999/10000", "nonsense"],
)
def test_an_untrusted_206_is_answered_by_the_whole_file_and_the_200_rule(content_range: str | None) -> None:
    def lying(request: StubRequest) -> StubResponse:
        if request.offset == 0 and request.end is None:
            return answer_range(DATA, request)
        headers = {"Content-Range": content_range} if content_range else {}
        return StubResponse(206, headers, [DATA[request.offset :]])

    transport = HandlerTransport(lying)
    body = open_ranged(transport, "stub://x", start=5_000, expected_size=len(DATA))
    assert read(body) == DATA[5_000:]
    assert [(r.offset, r.end) for r in transport.requests] == [(5_000, None), (0, None)]


def test_a_206_whose_length_disagrees_with_its_range_is_not_trusted() -> None:
    def lying(request: StubRequest) -> StubResponse:
        if request.offset == 0:
            return answer_range(DATA, request)
        headers = {"Content-Range": f"bytes {request.offset}-9999/10000", "Content-Length": "3"}
        return StubResponse(206, headers, [b"abc"])

    assert read(open_ranged(HandlerTransport(lying), "stub://x", start=10)) == DATA[10:]


def test_a_416_at_the_end_is_an_empty_body_and_elsewhere_asks_for_the_whole_file() -> None:
    at_end = open_ranged(HandlerTransport(lambda r: answer_range(DATA, r)), "stub://x", start=len(DATA))
    assert read(at_end) == b""

    def confused(request: StubRequest) -> StubResponse:
        return StubResponse(416, {}) if request.offset else answer_range(DATA, request)

    assert read(open_ranged(HandlerTransport(confused), "stub://x", start=9_000)) == DATA[9_000:]


@pytest.mark.parametrize(
    "answer",
    [
        StubResponse(200, {"Content-Length": "12"}, [b"x" * 12]),
        StubResponse(206, {"Content-Range": "bytes 5-11/12", "Content-Length": "7"}, [b"x" * 7]),
        StubResponse(416, {"Content-Range": "bytes */12"}),
    ],
    ids=["200", "206", "416"],
)
def test_a_declared_size_other_than_the_expected_one_fails_at_once(answer: StubResponse) -> None:
    transport = HandlerTransport(lambda request: answer)
    with pytest.raises(
        IntegrityError, match="the server's file is 12 bytes but the URL JSON promises 10,000"
    ) as info:
        open_ranged(transport, "stub://x?Signature=s", start=5, expected_size=len(DATA))
    assert not info.value.retryable
    assert "Signature=s" not in str(info.value)


def test_an_endless_body_is_cut_off_at_the_expected_size() -> None:
    endless = StubResponse(200, {}, [DATA, b"\0" * 100_000, b"\0" * 100_000])
    body = open_ranged(HandlerTransport(lambda request: endless), "stub://x", expected_size=len(DATA))
    assert read(body, size=1 << 20) == DATA


def test_a_body_ending_early_is_a_retryable_error() -> None:
    short = StubResponse(200, {}, [DATA[:4_000]])
    body = open_ranged(HandlerTransport(lambda request: short), "stub://x", expected_size=len(DATA))
    assert body.read(1 << 20) == DATA[:4_000]
    with pytest.raises(TransferError, match="ended at byte 4000 of 10000") as info:
        body.read(1 << 20)
    assert info.value.retryable


@pytest.mark.parametrize(("status", "retryable"), [(404, False), (503, True), (204, False), (302, False)])
def test_statuses_without_a_body_raise(status: int, retryable: bool) -> None:
    transport = HandlerTransport(lambda request: StubResponse(status))
    with pytest.raises(TransferError, match=f"HTTP {status}") as info:
        open_ranged(transport, "stub://x")
    assert info.value.retryable is retryable
