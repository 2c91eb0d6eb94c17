"""What an HTTP status means for us: done, retry (maybe after ``Retry-After``), expired, or failed.

* 200 / 206 / 416 carry a body or a range verdict; :mod:`atek_store.http.ranged` decides what they
  mean for a resume.
* 401 / 403: the signed URLs expired or were revoked (:class:`UrlsExpiredError`, exit status 3).
* 408, 425, 429 and every 5xx can change with time: retryable, ``Retry-After`` kept.
* Everything else (404, 410, 400, an unexpected 3xx...) will not change: fails at once.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable, Mapping

from atek_store.errors import TransferError, UrlsExpiredError
from atek_store.http.redact import redact_text, redact_url

__all__ = [
    "BODY_STATUSES",
    "REASON_BYTES",
    "error_for_status",
    "is_retryable_status",
    "parse_retry_after",
    "refusal_reason",
]

BODY_STATUSES = frozenset({200, 206, 416})
_EXPIRED = frozenset({401, 403})
_RETRYABLE = frozenset({408, 425, 429})


def is_retryable_status(status: int) -> bool:
    """Whether another request may get a different answer (408, 425, 429, 5xx)."""
    return status in _RETRYABLE or 500 <= status <= 599


def parse_retry_after(value: str | None, *, wall_clock: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date); None if absent or bad.

    ``wall_clock`` is the time an HTTP date is measured against (injectable for tests).
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        return max(0.0, when.timestamp() - wall_clock())
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


#: How much of a refusal's body is read for the server's reason (a store front says "revoked" there).
REASON_BYTES = 1024
_REASON_SHOWN = 200


def refusal_reason(body: bytes) -> str:
    """The server's own words from a 401/403 body: one printable line, at most 200 characters."""
    text = body[:REASON_BYTES].decode("utf-8", "replace")
    line = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    if line.lower().startswith("<"):
        return ""  # an HTML error page says nothing a one-line message could use
    return line if len(line) <= _REASON_SHOWN else line[: _REASON_SHOWN - 1] + "…"


def error_for_status(
    status: int, headers: Mapping[str, str], url: str, *, body: bytes = b""
) -> TransferError:
    """The error for a status that carries no usable body (anything outside :data:`BODY_STATUSES`).

    ``body`` is the start of a 401/403 answer: its text (redacted) is quoted as the server's reason.
    """
    shown = redact_url(url)
    if status in _EXPIRED:
        reason = redact_text(refusal_reason(body))
        said = f" (the server says: {reason})" if reason else ""
        return UrlsExpiredError(
            f"HTTP {status} for {shown}{said}: the signed URLs have expired (they last 30 days), were "
            "revoked or were refused; download a fresh URL JSON",
            status=status,
            url=shown,
        )
    if is_retryable_status(status):
        return TransferError(
            f"HTTP {status} for {shown}",
            status=status,
            url=shown,
            retryable=True,
            retry_after=parse_retry_after(headers.get("Retry-After")),
        )
    return TransferError(f"HTTP {status} for {shown}", status=status, url=shown, retryable=False)
