"""The answer to GET/HEAD for a static file: ranges and preconditions (RFC 9110)."""

from __future__ import annotations

import email.utils

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atek_store.store.httpfile import FileAnswer, FileFacts, RequestConditions, decide

FILE = FileFacts(size=1000, etag='"3e8-abc"', mtime=1_700_000_000)
DATE = email.utils.formatdate(FILE.mtime, usegmt=True)


def answer(**headers: str) -> FileAnswer:
    return decide(RequestConditions(**headers), FILE)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, FileAnswer(200, 0, 1000)),
        ("bytes=0-99", FileAnswer(206, 0, 100)),
        ("bytes=990-", FileAnswer(206, 990, 1000)),
        ("bytes=-10", FileAnswer(206, 990, 1000)),
        ("bytes=-5000", FileAnswer(206, 0, 1000)),
        ("bytes=900-5000", FileAnswer(206, 900, 1000)),
        ("bytes=999-999", FileAnswer(206, 999, 1000)),
        ("BYTES= 5 - 9 ", FileAnswer(206, 5, 10)),
        ("bytes=1000-", FileAnswer(416)),
        ("bytes=1000-2000", FileAnswer(416)),
        ("bytes=-0", FileAnswer(416)),
        ("bytes=9-5", FileAnswer(416)),
        ("bytes=-", FileAnswer(416)),
        ("bytes=abc", FileAnswer(416)),
        ("bytes=" + "9" * 40 + "-", FileAnswer(416)),
        ("bytes=0-" + "9" * 40, FileAnswer(206, 0, 1000)),
        ("bytes=0-1,5-6", FileAnswer(200, 0, 1000)),
        ("items=0-1", FileAnswer(200, 0, 1000)),
        ("garbage", FileAnswer(200, 0, 1000)),
        ("bytes=" + " " * 4000 + "-" + " " * 4000 + "x", FileAnswer(416)),
        ("bytes=" + " " * 150 + "0-9", FileAnswer(206, 0, 10)),
        ("bytes=0-9" + " " * 300, FileAnswer(416)),
        ("bytes=\u0663-5", FileAnswer(416)),
        ("bytes=1-2-3", FileAnswer(416)),
    ],
)
def test_range_headers(header: str | None, expected: FileAnswer) -> None:
    assert answer(**({"range": header} if header is not None else {})) == expected


@given(header=st.text(alphabet=" -,=0123456789bytesx\t", max_size=400))
def test_any_range_header_gets_one_of_the_defined_answers(header: str) -> None:
    got = answer(range=header)
    assert got.status in (200, 206, 416)
    assert 0 <= got.start <= got.stop <= FILE.size


def test_an_empty_file_has_no_satisfiable_range() -> None:
    empty = FileFacts(size=0, etag='"0-1"', mtime=0)
    assert decide(RequestConditions(range="bytes=0-"), empty) == FileAnswer(416)
    assert decide(RequestConditions(range="bytes=-1"), empty) == FileAnswer(416)
    assert decide(RequestConditions(), empty) == FileAnswer(200, 0, 0)


@given(data=st.data(), size=st.integers(min_value=1, max_value=10_000))
def test_any_satisfiable_range_slices_like_python(data: st.DataObject, size: int) -> None:
    first = data.draw(st.integers(min_value=0, max_value=size - 1))
    last = data.draw(st.integers(min_value=first, max_value=size * 2))
    facts = FileFacts(size=size, etag='"x"', mtime=0)
    got = decide(RequestConditions(range=f"bytes={first}-{last}"), facts)
    content = bytes(range(256)) * (size // 256 + 1)
    assert got.status == 206
    assert content[:size][got.start : got.stop] == content[:size][first : last + 1]


def test_if_range_with_the_current_etag_keeps_the_range() -> None:
    assert answer(range="bytes=0-9", if_range=FILE.etag) == FileAnswer(206, 0, 10)


@pytest.mark.parametrize(
    "validator", ['"other"', "W/" + FILE.etag, "Mon, 01 Jan 2001 00:00:00 GMT", "nonsense"]
)
def test_if_range_that_does_not_match_sends_the_whole_file(validator: str) -> None:
    assert answer(range="bytes=0-9", if_range=validator) == FileAnswer(200, 0, 1000)


def test_if_range_with_the_exact_date_keeps_the_range() -> None:
    assert answer(range="bytes=0-9", if_range=DATE) == FileAnswer(206, 0, 10)


def test_conditional_requests() -> None:
    assert answer(if_none_match=FILE.etag).status == 304
    assert answer(if_none_match="W/" + FILE.etag).status == 304
    assert answer(if_none_match='"other", ' + FILE.etag).status == 304
    assert answer(if_none_match="*").status == 304
    assert answer(if_none_match='"other"').status == 200
    assert answer(if_modified_since=DATE).status == 304
    assert answer(if_modified_since="Mon, 01 Jan 2001 00:00:00 GMT").status == 200
    assert answer(if_match='"other"').status == 412
    assert answer(if_match=FILE.etag, range="bytes=0-0") == FileAnswer(206, 0, 1)
    assert answer(if_unmodified_since="Mon, 01 Jan 2001 00:00:00 GMT").status == 412
    assert answer(if_unmodified_since=DATE).status == 200
