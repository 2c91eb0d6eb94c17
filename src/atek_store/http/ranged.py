"""One GET positioned at the byte the caller wants next, with the one rule for every odd answer.

The caller asks for bytes ``[start, end)`` of a URL (``end`` None: to the end). The answer is
turned into a body that yields exactly those bytes, or into an error:

* **206** must carry ``Content-Range: bytes <start>-<last>/<total>`` that starts at ``start``
  (and a matching Content-Length); the body is used as it is.
* **200 to a Range request** (the server ignored the Range header) is the whole file from byte 0.
  *The rule*, the same for the downloader and for streaming: the first ``start`` bytes are read
  and dropped, so the caller's bytes continue where they stopped, nothing already written is
  thrown away, and nothing is handed over twice. Whatever the caller kept is still checked in the
  end (the downloader's sha1 covers the whole file).
* A 206 whose Content-Range cannot be trusted (absent, malformed, elsewhere, not matching its
  Content-Length), or a 416 that does not say the caller is already at the end, is answered by
  asking for the whole file once and applying the 200 rule.
* A declared size (200's Content-Length, 206's or 416's total) that differs from ``expected_size``
  fails at once with :class:`IntegrityError`: the server holds another file, and asking again
  will not change it.

A body never yields bytes past ``end`` (or ``expected_size``): an endless or over-long body is
cut off there, so it costs no memory and no time. A body that ends early raises a retryable
TransferError, which :mod:`atek_store.http.resumable` turns into a resume.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from atek_store.errors import IntegrityError, TransferError
from atek_store.http.redact import redact_url
from atek_store.http.stall import StallGuard, StallRule
from atek_store.http.status import BODY_STATUSES, REASON_BYTES, error_for_status
from atek_store.http.transport import TransferResponse, Transport

__all__ = ["ContentRange", "RangedBody", "open_ranged", "parse_content_range", "unsatisfied_total"]

_log = logging.getLogger(__name__)
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)
_UNSATISFIED = re.compile(r"^\s*bytes\s+\*/(\d+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ContentRange:
    """A parsed ``Content-Range: bytes first-last/total`` (``total`` None for ``*``)."""

    first: int
    last: int
    total: int | None


def parse_content_range(value: str | None) -> ContentRange | None:
    """Parse a satisfied ``Content-Range`` header; None when absent, malformed or inconsistent."""
    match = _CONTENT_RANGE.match(value or "")
    if not match:
        return None
    first, last = int(match.group(1)), int(match.group(2))
    total = None if match.group(3) == "*" else int(match.group(3))
    if last < first or (total is not None and last >= total):
        return None
    return ContentRange(first=first, last=last, total=total)


def unsatisfied_total(value: str | None) -> int | None:
    """The size in a 416's ``Content-Range: bytes */<size>``; None when absent or malformed."""
    match = _UNSATISFIED.match(value or "")
    return int(match.group(1)) if match else None


def _first_end(target: int | None, total: int | None) -> int | None:
    """Where a body stops: the wanted end, or the file's end when that comes first."""
    known = [value for value in (target, total) if value is not None]
    return min(known) if known else None


def _read_reason(response: TransferResponse) -> bytes:
    """The start of a refusal's body (its reason); a broken body gives no reason, never an error."""
    try:
        return response.read(REASON_BYTES)
    except (TransferError, OSError):
        return b""


def _int_header(value: str | None) -> int | None:
    # ASCII only: headers arrive decoded as latin-1, where str.isdigit() accepts '²', which int() refuses.
    if value is None or not value.isascii() or not value.strip().isdigit():
        return None
    return int(value)


class RangedBody:
    """The body of one answer, positioned at the requested start.

    Attributes:
        position: offset (in the whole file) of the next byte :meth:`read` returns.
        total: the size of the whole file, when the answer declared it.
    """

    def __init__(
        self,
        response: TransferResponse,
        *,
        position: int,
        skip: int,
        stop_at: int | None,
        total: int | None,
        name: str,
        guard: StallGuard,
    ) -> None:
        """Wrap ``response``, whose first ``skip`` bytes come before ``position`` and are dropped."""
        self.response = response
        self.position = position
        self.total = total
        self._skip = skip
        self._stop_at = stop_at
        self._name = name
        self._guard = guard

    @property
    def complete(self) -> bool:
        """Whether every byte up to the wanted end has been read."""
        return self._stop_at is not None and self.position >= self._stop_at

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes from :attr:`position`; ``b""`` once the wanted end is reached.

        Raises a retryable TransferError when the body ends before that end (or before the
        start, while skipping), and :class:`StallError` when it arrives too slowly.
        """
        while self._skip:
            dropped = self._guard.timed_read(self.response.read, min(self._skip, size))
            if not dropped:
                raise TransferError(
                    f"{self._name}: the answer ended before byte {self.position}, where the transfer resumes",
                    retryable=True,
                )
            self._skip -= len(dropped)
        if self._stop_at is not None:
            size = min(size, self._stop_at - self.position)
            if size <= 0:
                return b""
        data = self._guard.timed_read(self.response.read, size)
        if not data and self._stop_at is not None:
            raise TransferError(
                f"{self._name}: the answer ended at byte {self.position} of {self._stop_at}", retryable=True
            )
        self.position += len(data)
        return data

    def close(self) -> None:
        """Release the connection."""
        self.response.close()


def open_ranged(
    transport: Transport,
    url: str,
    *,
    start: int = 0,
    end: int | None = None,
    expected_size: int | None = None,
    name: str | None = None,
    stall: StallRule | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> RangedBody:
    """GET bytes ``[start, end)`` of ``url`` and position the answer there (the module's rule).

    ``expected_size`` is the size the file must have (the URL JSON's promise), ``name`` what
    messages call it (default: the redacted URL).

    Raises:
        UrlsExpiredError: 401/403.
        IntegrityError: the server declares a size other than ``expected_size``.
        TransferError: no usable answer; ``retryable`` says whether another attempt may help.
    """
    shown = name or redact_url(url)
    guard = StallGuard(stall or StallRule(min_bytes_per_s=0), url=shown, clock=clock)
    target = end if end is not None else expected_size

    def position(response: TransferResponse, *, asked_range: bool) -> RangedBody | None:
        """The positioned body, or None when the answer cannot be trusted (the whole file is needed)."""
        status = response.status
        if status not in BODY_STATUSES:
            body = _read_reason(response) if status in (401, 403) else b""
            raise error_for_status(status, response.headers, url, body=body)
        length = _int_header(response.headers.get("Content-Length"))
        span = parse_content_range(response.headers.get("Content-Range")) if status == 206 else None
        if status == 200:
            declared = length
        elif status == 206:
            declared = span.total if span is not None else None
        else:
            declared = unsatisfied_total(response.headers.get("Content-Range"))
        if expected_size is not None and declared is not None and declared != expected_size:
            raise IntegrityError(
                f"{shown}: the server's file is {declared:,} bytes but the URL JSON promises "
                f"{expected_size:,}; fetch a fresh URL JSON, or tell the store's maintainers",
                shard=shown,
                url=redact_url(url),
            )
        if status == 200:
            if declared is not None and start > declared:
                raise TransferError(
                    f"{shown}: the server's file is now {declared:,} bytes, shorter than the {start:,} "
                    "already read",
                    url=redact_url(url),
                    retryable=False,
                )
            if asked_range and start:
                _log.info(
                    "%s: the server ignored the Range request; dropping its first %d bytes", shown, start
                )
            stop_at = _first_end(target, declared)
            return RangedBody(
                response, position=start, skip=start, stop_at=stop_at, total=declared, name=shown, guard=guard
            )
        if status == 416:
            if declared is not None and start >= declared:  # already at the end: an empty body
                return RangedBody(
                    response, position=start, skip=0, stop_at=start, total=declared, name=shown, guard=guard
                )
            return None
        if (
            span is None
            or span.first != start
            or (end is not None and span.last >= end)
            or length not in (None, span.last - span.first + 1)
        ):
            _log.info(
                "%s: Content-Range %r does not answer a request from byte %d",
                shown,
                response.headers.get("Content-Range"),
                start,
            )
            return None
        stop_at = _first_end(target, span.total)
        return RangedBody(
            response, position=start, skip=0, stop_at=stop_at, total=span.total, name=shown, guard=guard
        )

    if start > 0 or end is not None:
        response = transport.get(url, offset=start, end=end)
        body = _positioned(position, response, asked_range=True)
        if body is not None:
            return body
        _log.info("%s: asking for the whole file instead of a range", shown)
    response = transport.get(url)
    body = _positioned(position, response, asked_range=False)
    if body is None:
        raise TransferError(
            f"{shown}: HTTP {response.status} with Content-Range {response.headers.get('Content-Range')!r} "
            "to a request for the whole file",
            url=redact_url(url),
            status=response.status,
            retryable=False,
        )
    return body


def _positioned(
    position: Callable[..., RangedBody | None], response: TransferResponse, *, asked_range: bool
) -> RangedBody | None:
    """``position(response)``; the response is closed unless it became the body."""
    try:
        body = position(response, asked_range=asked_range)
    except BaseException:
        response.close()
        raise
    if body is None:
        response.close()
    return body
