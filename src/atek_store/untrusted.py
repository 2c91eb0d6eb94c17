"""Reading input that came from elsewhere: JSON files under bounds, and short reprs for messages.

A URL JSON, a split JSON or a report in someone's folder may be hostile or just broken. Read here,
such a file costs bounded time and memory and fails with our own error: its size is capped before
a byte is parsed, nesting deeper than the interpreter's recursion limit is refused, ``NaN`` and
``Infinity`` (which Python's parser accepts but JSON does not have) are refused, and a key given
twice in one object is refused because the parser would silently keep only the last one. Error
messages quote values through :func:`brief`, so they never embed a whole document.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import NoReturn

from atek_store.errors import AtekStoreError

__all__ = [
    "MAX_INPUT_BYTES",
    "InputFile",
    "JsonDocument",
    "brief",
    "brief_name",
    "brief_names",
    "brief_text",
    "read_input_file",
    "read_json_file",
]

# Larger than the URL JSON or shard list of any store we know of (a few MB per thousand sequences),
# small enough that a file this size still parses in the memory of an ordinary machine.
MAX_INPUT_BYTES = 1 << 30
_BRIEF = 80
_MAX_INT_DIGITS = 40


def brief(value: object, limit: int = _BRIEF) -> str:
    """``repr(value)``, cut to about ``limit`` characters with the full length said when cut."""
    if isinstance(value, str | bytes) and len(value) > 4 * limit:
        # Never build the repr of a huge string just to cut it.
        text = repr(value[: 2 * limit])
        return f"{text[:limit]}... ({len(value):,} characters)"
    if isinstance(value, dict | list | tuple) and len(value) > limit:
        return f"a {type(value).__name__} of {len(value):,} items"
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"


def brief_text(text: str, limit: int = 4 * _BRIEF) -> str:
    """A message from elsewhere (a parser's) on one line, cut to about ``limit`` characters."""
    flat = " ".join(text[: 2 * limit].split())
    return flat if len(flat) <= limit and len(text) <= 2 * limit else f"{flat[:limit]}..."


def brief_name(name: str) -> str:
    """A name as it is when short, else its :func:`brief` repr."""
    return name if len(name) <= _BRIEF else brief(name)


def brief_names(names: Sequence[str], limit: int = 10) -> str:
    """``a, b, c and 7 more``: names joined for a message, each name and their number bounded."""
    shown = ", ".join(brief_name(name) for name in names[:limit])
    return shown + (f" and {len(names) - limit:,} more" if len(names) > limit else "")


@dataclass(frozen=True)
class InputFile:
    """The bytes of a file read under a size bound, and when it was last modified."""

    raw: bytes
    modified_at: float


@dataclass(frozen=True)
class JsonDocument:
    """A decoded JSON file, with the sha256 and modification time of the bytes that were read."""

    data: object
    sha256: str
    modified_at: float


def read_input_file(
    path: Path, *, what: str, fail: Callable[[str], AtekStoreError], max_bytes: int = MAX_INPUT_BYTES
) -> InputFile:
    """The bytes of ``path``, refused before reading when it is not a regular file or is too large.

    Args:
        path: the file.
        what: how messages name it (``"URL JSON"``, ``"shard list"``).
        fail: builds the error to raise from a message (so each caller keeps its own error class).
        max_bytes: files larger than this are refused before they are read.

    Raises:
        AtekStoreError: whatever ``fail`` builds, with a message naming the file and the problem.
    """
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below, after the checks on the open file
    except FileNotFoundError:
        raise fail(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise fail(f"{what} {path} is a folder, not a file") from None
    except OSError as error:
        raise fail(f"cannot read {what} {path}: {error.strerror or error}") from None
    with handle:
        stat = os.fstat(handle.fileno())
        if not S_ISREG(stat.st_mode):
            # A FIFO or a device (/dev/zero) has no size to check and may never end.
            raise fail(f"{what} {path} is not a regular file")
        if stat.st_size > max_bytes:
            raise fail(
                f"{what} {path} is {stat.st_size:,} bytes, more than the {max_bytes:,} a {what} may have; "
                "is it the right file?"
            )
        try:
            raw = handle.read(max_bytes + 1)
        except OSError as error:
            raise fail(f"cannot read {what} {path}: {error.strerror or error}") from None
    if len(raw) > max_bytes:
        raise fail(f"{what} {path} grew past {max_bytes:,} bytes while it was read")
    return InputFile(raw=raw, modified_at=stat.st_mtime)


def read_json_file(
    path: Path,
    *,
    what: str,
    fail: Callable[[str], AtekStoreError],
    max_bytes: int = MAX_INPUT_BYTES,
) -> JsonDocument:
    """Read and decode ``path`` under the bounds described in the module docstring.

    Arguments and errors as for :func:`read_input_file`; the message also says what is wrong with the
    JSON (where it stops parsing, the duplicated key, the NaN).
    """

    def refuse(message: str) -> NoReturn:
        raise fail(message)

    raw = read_input_file(path, what=what, fail=fail, max_bytes=max_bytes)

    def no_constants(name: str) -> NoReturn:
        refuse(f"{what} {path} holds {name}, which is not a JSON number")

    def bounded_int(text: str) -> int:
        # Converting a number of thousands of digits costs quadratic time (and Python refuses past
        # its digit limit with a hint that does not apply here); no field needs more than a few.
        if len(text) > _MAX_INT_DIGITS:
            refuse(
                f"{what} {path} holds an integer of {len(text):,} digits; no field of a {what} has that many"
            )
        return int(text)

    def unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    refuse(
                        f"{what} {path}: key {brief(key)} appears twice in one object, so which value is "
                        "meant is ambiguous; keep one"
                    )
                seen.add(key)
        return obj

    try:
        data = json.loads(
            raw.raw, parse_constant=no_constants, parse_int=bounded_int, object_pairs_hook=unique_keys
        )
    except AtekStoreError:
        raise
    except RecursionError:
        refuse(f"{what} {path} is nested deeper than {sys.getrecursionlimit():,} levels; it is not a {what}")
    except UnicodeDecodeError as error:
        refuse(f"{what} {path} is not UTF-8 text (byte {error.start:,}: {error.reason})")
    except json.JSONDecodeError as error:
        refuse(f"{what} {path} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}")
    except ValueError as error:
        # Any other limit of the decoder (a float it cannot convert, say).
        refuse(f"{what} {path} holds a value the JSON decoder refuses: {brief_text(str(error))}")
    return JsonDocument(data=data, sha256=hashlib.sha256(raw.raw).hexdigest(), modified_at=raw.modified_at)
