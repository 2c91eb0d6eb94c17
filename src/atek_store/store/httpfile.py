"""Which answer a GET or HEAD for a static file gets (RFC 9110): pure functions, no I/O.

From the request's ``Range`` and conditional headers and the file's size, ETag and modification
time, :func:`decide` picks 200 (whole file), 206 (one byte range), 304 (not modified), 412
(precondition failed) or 416 (range not satisfiable). A single byte range is served as 206; a
request for several ranges gets the whole file (a server may ignore ``Range``), which every
downloader handles. ``If-Range`` is honoured with a strong ETag or the exact Last-Modified date, so
a client resuming a file that has since changed gets the new file whole instead of a spliced one.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass

__all__ = ["MAX_RANGE_HEADER", "FileAnswer", "FileFacts", "RequestConditions", "decide"]

# Longer digit strings are beyond any file size; parsing them is pointless work.
_MAX_DIGITS = 19
# A single byte range needs well under 100 characters; longer Range headers are refused unparsed
# (RFC 9110 lets a server ignore Range) so no header can make parsing expensive.
MAX_RANGE_HEADER = 200
_WHITESPACE = " \t"
_MAX_DATE = 64


@dataclass(frozen=True)
class FileFacts:
    """What the answer depends on about the file."""

    size: int
    etag: str  # strong, quoted
    mtime: int  # whole seconds, as sent in Last-Modified


@dataclass(frozen=True)
class RequestConditions:
    """The request headers that shape the answer (None when absent)."""

    range: str | None = None
    if_range: str | None = None
    if_match: str | None = None
    if_none_match: str | None = None
    if_modified_since: str | None = None
    if_unmodified_since: str | None = None


@dataclass(frozen=True)
class FileAnswer:
    """The status to send and, for 200/206, the bytes ``[start, stop)`` of the file."""

    status: int
    start: int = 0
    stop: int = 0

    @property
    def length(self) -> int:
        """How many body bytes the answer carries."""
        return self.stop - self.start


def _http_date(value: str | None) -> int | None:
    if value is None or len(value) > _MAX_DATE:
        return None  # an HTTP date has 29 characters: anything much longer is not one
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return int(parsed.timestamp())


def _etags(value: str) -> list[str]:
    return [tag.strip() for tag in value.split(",") if tag.strip()]


def _matches(value: str, etag: str, *, weak: bool) -> bool:
    tags = _etags(value)
    if tags == ["*"]:
        return True
    if weak:
        return any(tag.removeprefix("W/") == etag for tag in tags)
    return etag in tags


def decide(conditions: RequestConditions, file: FileFacts) -> FileAnswer:
    """The answer to a GET/HEAD with these headers for this file."""
    whole = FileAnswer(200, 0, file.size)
    # Preconditions first (RFC 9110 section 13.2.2), then Range.
    if conditions.if_match is not None:
        if not _matches(conditions.if_match, file.etag, weak=False):
            return FileAnswer(412)
    elif (since := _http_date(conditions.if_unmodified_since)) is not None and file.mtime > since:
        return FileAnswer(412)
    if conditions.if_none_match is not None:
        if _matches(conditions.if_none_match, file.etag, weak=True):
            return FileAnswer(304)
    elif (since := _http_date(conditions.if_modified_since)) is not None and file.mtime <= since:
        return FileAnswer(304)
    if conditions.range is None or not _if_range_holds(conditions.if_range, file):
        return whole
    return _byte_range(conditions.range, file.size)


def _if_range_holds(if_range: str | None, file: FileFacts) -> bool:
    if if_range is None:
        return True
    value = if_range.strip()
    if value.startswith(('"', "W/")):
        return value == file.etag  # strong comparison: a weak tag never matches
    return _http_date(value) == file.mtime


def _range_spec(spec: str) -> tuple[str, str] | None:
    """The first and last positions of ``first-last`` as digit strings (either may be empty).

    One pass of ``str`` methods, no regular expression: the time is linear in the length whatever
    the input (a backtracking pattern took minutes on a few kilobytes of spaces).
    """
    first, dash, last = spec.partition("-")
    first, last = first.strip(_WHITESPACE), last.strip(_WHITESPACE)
    if not dash or not (first or last):
        return None
    if (first and not (first.isascii() and first.isdigit())) or (
        last and not (last.isascii() and last.isdigit())
    ):
        return None
    return first, last


def _byte_range(header: str, size: int) -> FileAnswer:
    if len(header) > MAX_RANGE_HEADER:
        return FileAnswer(416)
    unit, equals, spec = header.partition("=")
    if not equals or unit.strip(_WHITESPACE).lower() != "bytes":
        return FileAnswer(200, 0, size)  # a unit we do not know: ignore Range
    if "," in spec:
        return FileAnswer(200, 0, size)  # several ranges: send the whole file instead
    parsed = _range_spec(spec)
    if parsed is None:
        return FileAnswer(416)
    first, last = parsed
    if not first:
        # A suffix range: the last N bytes.
        count = int(last) if len(last) <= _MAX_DIGITS else size
        if count == 0 or size == 0:
            return FileAnswer(416)
        return FileAnswer(206, max(0, size - count), size)
    if len(first) > _MAX_DIGITS or int(first) >= size:
        return FileAnswer(416)
    start = int(first)
    if not last:
        return FileAnswer(206, start, size)
    end = int(last) if len(last) <= _MAX_DIGITS else size
    if end < start:
        return FileAnswer(416)
    return FileAnswer(206, start, min(end + 1, size))
