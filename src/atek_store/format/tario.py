"""Reading POSIX tar streams member by member, and grouping members into samples.

A small header walk instead of :mod:`tarfile`: it reads any binary stream front to back (a file,
an HTTP response), understands ustar, PAX (``x``/``g``) and GNU long-name headers, checks every
header's checksum, and reports truncation with the shard and member it happened in. Grouping
follows WebDataset: consecutive members with the same sample key form one sample.

The stream is untrusted: every number a header holds is parsed strictly, and every size is held
against :class:`ReadLimits` (and against what the stream has left, when that is known) before a
byte is read for it. A member of unknown length is read in bounded chunks, so a stream that lies
about a size costs at most what it actually sends. Whatever is wrong ends in a
:class:`FormatError` naming shard and member; nothing here loops without reading.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from atek_store.errors import FormatError, IncompleteSampleError, TruncatedShardError
from atek_store.format.keys import split_member_name
from atek_store.format.limits import ReadLimits

__all__ = ["BLOCK", "ByteStream", "RawSample", "TarMember", "iter_raw_samples", "iter_tar_members"]

BLOCK = 512
_REGULAR_TYPES = (b"0", b"\0", b"7")
_META_TYPES = (b"x", b"g", b"L", b"K")
# Members of unknown available length are read in pieces of this size: memory follows what
# arrives, not what a header claims.
_CHUNK = 1 << 20
_OCTAL_DIGITS = b"01234567"
_MAX_DECIMAL_DIGITS = 20  # a PAX length or size longer than this is beyond any ceiling


class ByteStream(Protocol):
    """What the reader needs of a stream: ``read(n)`` returning at most ``n`` bytes, ``b""`` at the end."""

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes."""
        ...


@dataclass(frozen=True)
class TarMember:
    """One regular file of a tar stream."""

    name: str
    data: bytes


@dataclass(frozen=True)
class RawSample:
    """The members of one sample: ``suffix -> bytes`` in tar order, with its key."""

    key: str
    members: dict[str, bytes]


class _Reader:
    """The stream with its position, reading exactly what is asked or reporting a short read."""

    def __init__(self, stream: ByteStream, length: int | None) -> None:
        self._stream = stream
        self.position = 0
        self.length = length

    def remaining(self) -> int | None:
        return None if self.length is None else max(0, self.length - self.position)

    def read(self, size: int) -> bytes:
        """``size`` bytes, or fewer only at the end of the stream."""
        # Where the stream is known to hold the bytes (a file), one read; elsewhere pieces of
        # bounded size, so that the allocation follows the bytes that really arrive.
        piece = size if self.length is not None else min(size, _CHUNK)
        data = self._stream.read(piece)
        if len(data) == size:  # the common case: one read of a header or a whole member
            self.position += size
            return data
        pieces = [data] if data else []
        have = len(data)
        while data and have < size:
            data = self._stream.read(min(piece, size - have))
            pieces.append(data)
            have += len(data)
        self.position += have
        return b"".join(pieces)


def _number(field: bytes, what: str) -> int:
    """A numeric header field: octal text, or GNU base-256 for large values.

    Raises:
        ValueError: not a number (the caller names the member).
    """
    if field[:1] == b"\x80":  # GNU base-256, positive
        return int.from_bytes(field[1:], "big")
    if field[:1] == b"\xff":
        raise ValueError(f"its {what} field is a negative base-256 number")
    text = field.split(b"\0", 1)[0].strip(b" ")
    if not text:
        return 0
    if text.translate(None, _OCTAL_DIGITS):  # int() would also take '-', '+', '_' and spaces
        raise ValueError(f"its {what} field {text[:16]!r} is not an octal number")
    return int(text, 8)


def _checksum_ok(header: bytes) -> bool:
    try:
        stored = _number(header[148:156], "checksum")
    except ValueError:
        return False
    unsigned = sum(header[:148]) + 8 * 32 + sum(header[156:])
    if stored == unsigned:
        return True
    # Some old writers summed signed bytes; accept that too, as tarfile does.
    high = sum(1 for byte in header[:148] + header[156:] if byte > 127)
    return stored == unsigned - 256 * high


def _decimal(text: bytes) -> int | None:
    """A non-negative decimal of reasonable length, or None."""
    if not text or len(text) > _MAX_DECIMAL_DIGITS or not text.isdigit():
        return None
    return int(text)


def _pax_records(data: bytes, shard: str, member: str) -> dict[str, str]:
    """The ``<length> <key>=<value>`` records of a PAX header, each ending in a newline.

    Every record must lie inside the header and move the position forward: a length of 0 (or
    one that points backwards) would otherwise loop forever.
    """
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        if data[pos] == 0 and data.count(b"\0", pos) == len(data) - pos:
            break  # trailing NUL padding some writers leave
        space = data.find(b" ", pos, pos + _MAX_DECIMAL_DIGITS + 1)
        length = _decimal(data[pos:space]) if space > pos else None
        if length is None or length < space - pos + 4 or pos + length > len(data):
            raise FormatError(
                f"malformed PAX extended header: the record at byte {pos} has no valid length "
                f"({bytes(data[pos : pos + 24])!r}...)",
                shard=shard,
                member=member,
            )
        end = pos + length
        key, equals, value = data[space + 1 : end - 1].partition(b"=")
        if data[end - 1 : end] != b"\n" or not equals or not key:
            raise FormatError(
                f"malformed PAX extended header: the record at byte {pos} is not '<length> <key>=<value>\\n'",
                shard=shard,
                member=member,
            )
        try:
            name = key.decode("utf-8")
        except UnicodeDecodeError:
            raise FormatError(
                f"malformed PAX extended header: key {key[:40]!r} is not UTF-8", shard=shard, member=member
            ) from None
        records[name] = value.decode("utf-8", "surrogateescape")
        pos = end
    return records


def _header_name(header: bytes) -> str:
    name = header[0:100].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    if header[257:262] == b"ustar":
        prefix = header[345:500].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        if prefix:
            name = f"{prefix}/{name}"
    return name


def _not_a_tar(position: int, last_name: str, shard: str, why: str) -> FormatError:
    if position == 0:
        return FormatError(f"not a tar file: its first 512 bytes are not a tar header ({why})", shard=shard)
    return FormatError(f"corrupt tar header after member {last_name!r} ({why})", shard=shard)


def iter_tar_members(
    stream: ByteStream,
    *,
    shard: str = "<stream>",
    limits: ReadLimits | None = None,
    length: int | None = None,
) -> Iterator[TarMember]:
    """Yield the regular files of a tar stream in order.

    Args:
        stream: read front to back.
        shard: named in errors.
        limits: ceilings on header and member sizes (default :class:`ReadLimits`).
        length: bytes the stream holds from here, when known (a file): a member claiming more is
            reported truncated before anything is read for it.

    Raises:
        TruncatedShardError: the stream ends inside a header or a member.
        FormatError: a header is corrupt (bad checksum, a field that is not a number, a malformed
            PAX record) or declares a size over a ceiling.
    """
    limits = limits or ReadLimits()
    reader = _Reader(stream, length)
    pending_name: str | None = None
    pending_size: int | None = None
    last_name = "<start of archive>"
    while True:
        start = reader.position
        header = reader.read(BLOCK)
        if not header:
            # Every tar writer ends with zero blocks; a stream that stops on a block boundary
            # without them was cut (an interrupted download), even if the cut fell between members.
            raise TruncatedShardError(
                f"tar ends without its end-of-archive marker after {last_name!r}", shard=shard
            )
        if len(header) < BLOCK:
            if start == 0:
                raise TruncatedShardError(
                    f"the file ends inside its first tar header ({len(header)} of 512 bytes): a cut "
                    "download, or not a tar file",
                    shard=shard,
                )
            raise TruncatedShardError(f"tar ends inside a header after {last_name!r}", shard=shard)
        if header == b"\0" * BLOCK:
            return
        if not _checksum_ok(header):
            raise _not_a_tar(start, last_name, shard, "bad checksum")
        typeflag = header[156:157]
        name = pending_name or _header_name(header)
        try:
            size = _number(header[124:136], "size")
        except ValueError as error:
            raise _not_a_tar(start, last_name, shard, f"member {name!r}: {error}") from None
        if pending_size is not None and typeflag not in _META_TYPES:
            size = pending_size
        ceiling = limits.max_header_bytes if typeflag in _META_TYPES else limits.max_member_bytes
        if size > ceiling:
            what = "max_header_bytes" if typeflag in _META_TYPES else "max_member_bytes"
            raise FormatError(
                f"member {name!r} declares {size} bytes, over the ceiling {what}={ceiling}; if the shard "
                f"is genuine, raise it (ReadLimits({what}=...) or ATEK_STORE_READ_LIMITS)",
                shard=shard,
                member=name,
            )
        padded = (size + BLOCK - 1) // BLOCK * BLOCK
        left = reader.remaining()
        if left is not None and padded > left:
            raise TruncatedShardError(
                f"tar ends inside member {name!r} ({left} of {padded} bytes)", shard=shard, member=name
            )
        # The payload and its padding are read separately: slicing the padding off would copy
        # the whole member once more (megabytes for a depth tensor).
        payload = reader.read(size)
        padding = reader.read(padded - size) if padded > size else b""
        if len(payload) + len(padding) < padded:
            got = len(payload) + len(padding)
            raise TruncatedShardError(
                f"tar ends inside member {name!r} ({got} of {padded} bytes)", shard=shard, member=name
            )
        if typeflag == b"x":
            records = _pax_records(payload, shard, name)
            pending_name = records.get("path", pending_name)
            if "size" in records:
                pending_size = _decimal(records["size"].encode("utf-8", "surrogateescape"))
                if pending_size is None:
                    raise FormatError(
                        f"malformed PAX extended header: size={records['size'][:40]!r} is not a "
                        "non-negative decimal number",
                        shard=shard,
                        member=pending_name or name,
                    )
            continue
        if typeflag == b"L":
            pending_name = payload.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            continue
        if typeflag in (b"g", b"K"):
            continue
        pending_name = None
        pending_size = None
        last_name = name
        if typeflag in _REGULAR_TYPES:
            yield TarMember(name=name, data=payload)


def iter_raw_samples(
    source: ByteStream | bytes,
    *,
    shard: str = "<stream>",
    limits: ReadLimits | None = None,
    length: int | None = None,
) -> Iterator[RawSample]:
    """Group tar members into samples, as WebDataset does: consecutive members sharing a key.

    Members whose name has no suffix (no ``.``) are skipped, like WebDataset does.

    Args:
        source: a stream read front to back, or the whole tar as bytes.
        shard: named in errors.
        limits: ceilings (default :class:`ReadLimits`); ``max_sample_bytes`` bounds one sample.
        length: bytes the stream holds, when known (see :func:`iter_tar_members`).

    Raises:
        IncompleteSampleError: a member has an empty sample key, or a suffix repeats in a sample.
        FormatError: the tar is corrupt, or a sample is larger than ``max_sample_bytes``.
    """
    limits = limits or ReadLimits()
    if isinstance(source, bytes | bytearray | memoryview):
        length = len(source)
        stream: ByteStream = io.BytesIO(source)
    else:
        stream = source
    current_key: str | None = None
    members: dict[str, bytes] = {}
    held = 0
    for member in iter_tar_members(stream, shard=shard, limits=limits, length=length):
        parts = split_member_name(member.name)
        if parts is None:
            continue
        if not parts.sample_key or parts.sample_key.endswith("/"):
            raise IncompleteSampleError(
                "member name has no sample key before its first '.' (expected '<__key__>.<key>.<ext>')",
                shard=shard,
                member=member.name,
            )
        if parts.sample_key != current_key:
            if current_key is not None:
                yield RawSample(current_key, members)
            current_key = parts.sample_key
            members = {}
            held = 0
        if parts.suffix in members:
            raise IncompleteSampleError(
                f"sample {current_key!r} has member {parts.suffix!r} twice", shard=shard, member=member.name
            )
        held += len(member.data) + len(member.name)
        if held > limits.max_sample_bytes:
            raise FormatError(
                f"sample {current_key!r} holds more than max_sample_bytes={limits.max_sample_bytes} "
                "bytes; if the shard is genuine, raise it (ReadLimits(max_sample_bytes=...) or "
                "ATEK_STORE_READ_LIMITS)",
                shard=shard,
                member=member.name,
            )
        members[parts.suffix] = member.data
    if current_key is not None:
        yield RawSample(current_key, members)
