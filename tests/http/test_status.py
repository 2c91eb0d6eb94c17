"""Status -> error: 401/403 expired, 408/425/429/5xx retryable (with Retry-After), others final."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from atek_store.errors import TransferError, UrlsExpiredError
from atek_store.http import error_for_status, is_retryable_status, parse_retry_after


@pytest.mark.parametrize("status", [401, 403])
def test_refusals_mean_the_urls_expired(status: int) -> None:
    error = error_for_status(status, {}, "https://cdn/x.tar?Signature=s")
    assert isinstance(error, UrlsExpiredError)
    assert "fresh URL JSON" in str(error)
    assert "Signature=s" not in str(error)
    assert error.url == "https://cdn/x.tar?…"


def test_a_refusal_quotes_the_servers_reason_in_one_bounded_line() -> None:
    body = b"403 Forbidden: access grant 0a1b was revoked\n by the operator; see https://h/x?Signature=s"
    error = error_for_status(403, {}, "https://h/x.tar", body=body)
    assert "the server says: 403 Forbidden: access grant 0a1b was revoked by the operator" in str(error)
    assert "Signature=s" not in str(error)
    long = error_for_status(403, {}, "https://h/x.tar", body=b"x" * 5000)
    assert len(str(long)) < 400
    html = error_for_status(403, {}, "https://h/x.tar", body=b"<html><body>Denied</body></html>")
    assert "server says" not in str(html)


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (408, True),
        (425, True),
        (429, True),
        (500, True),
        (503, True),
        (599, True),
        (400, False),
        (404, False),
        (410, False),
        (416, False),
        (301, False),
    ],
)
def test_what_can_change_is_retryable(status: int, retryable: bool) -> None:
    assert is_retryable_status(status) is retryable
    error = error_for_status(status, {"Retry-After": "3"}, "http://h/x")
    assert type(error) is TransferError
    assert error.retryable is retryable
    assert error.status == status
    assert error.retry_after == (3.0 if retryable else None)


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(formatdate(1_000_030, usegmt=True), wall_clock=lambda: 1_000_000.0) == 30.0
    assert parse_retry_after(formatdate(999_000, usegmt=True), wall_clock=lambda: 1_000_000.0) == 0.0
    for bad in (None, "", "soon", "-5", "nan", "inf"):
        assert parse_retry_after(bad) is None
