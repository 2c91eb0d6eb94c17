"""Reading POSIX tar streams member by member, and grouping members into samples.

A small header walk instead of :mod:`tarfile`: it reads any binary stream front to back (a file,
an HTTP response), understands ustar, PAX (``x``/``g``) and GNU long-name headers, checks every
header's checksum, and reports truncation with the shard and member it happened in. Grouping
follows WebDataset: consecutive members with the same sample key form one sample.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from atek_store.errors import FormatError, IncompleteSampleError, TruncatedShardError
from atek_store.format.keys import split_member_name

__all__ = ["RawSample", "TarMember", "iter_raw_samples", "iter_tar_members"]

BLOCK = 512
_REGULAR_TYPES = (b"0", b"\0", b"7")


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


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) == size or not data:
        return data
    chunks = [data]
    have = len(data)
    while have < size:
        more = stream.read(size - have)
        if not more:
            break
        chunks.append(more)
        have += len(more)
    return b"".join(chunks)


def _octal(field: bytes) -> int:
    if field and field[0] & 0x80:  # GNU base-256 for large numbers
        return int.from_bytes(field[1:], "big")
    text = field.split(b"\0", 1)[0].strip(b" \0")
    return int(text, 8) if text else 0


def _checksum_ok(header: bytes) -> bool:
    stored = _octal(header[148:156])
    unsigned = sum(header[:148]) + 8 * 32 + sum(header[156:])
    return stored == unsigned


def _pax_records(data: bytes, shard: str) -> dict[str, str]:
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        try:
            length = int(data[pos:space])
        except ValueError:
            raise FormatError("malformed PAX extended header", shard=shard) from None
        record = data[space + 1 : pos + length - 1]
        key, _, value = record.partition(b"=")
        records[key.decode("utf-8")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return records


def iter_tar_members(stream: BinaryIO, *, shard: str = "<stream>") -> Iterator[TarMember]:
    """Yield the regular files of a tar stream in order.

    Raises:
        TruncatedShardError: the stream ends inside a header or a member.
        FormatError: a header is corrupt (bad checksum or magic).
    """
    pending_name: str | None = None
    pending_size: int | None = None
    last_name = "<start of archive>"
    while True:
        header = _read_exactly(stream, BLOCK)
        if not header:
            # Every tar writer ends with zero blocks; a stream that stops on a block boundary
            # without them was cut (an interrupted download), even if the cut fell between members.
            raise TruncatedShardError(
                f"tar ends without its end-of-archive marker after {last_name!r}", shard=shard
            )
        if len(header) < BLOCK:
            raise TruncatedShardError(f"tar ends inside a header after {last_name!r}", shard=shard)
        if header == b"\0" * BLOCK:
            return
        if not _checksum_ok(header):
            raise FormatError(f"corrupt tar header after member {last_name!r} (bad checksum)", shard=shard)
        typeflag = header[156:157]
        size = pending_size if pending_size is not None else _octal(header[124:136])
        if typeflag in (b"x", b"g", b"L", b"K"):
            size = _octal(header[124:136])
        padded = (size + BLOCK - 1) // BLOCK * BLOCK
        # The payload and its padding are read separately: slicing the padding off would copy
        # the whole member once more (megabytes for a depth tensor).
        payload = _read_exactly(stream, size)
        padding = _read_exactly(stream, padded - size) if padded > size else b""
        if len(payload) + len(padding) < padded:
            name = pending_name or _header_name(header)
            got = len(payload) + len(padding)
            raise TruncatedShardError(
                f"tar ends inside member {name!r} ({got} of {padded} bytes)", shard=shard, member=name
            )
        if typeflag == b"x":
            records = _pax_records(payload, shard)
            pending_name = records.get("path", pending_name)
            if "size" in records:
                pending_size = int(records["size"])
            continue
        if typeflag == b"g":
            continue
        if typeflag == b"L":
            pending_name = payload.rstrip(b"\0").decode("utf-8", "surrogateescape")
            continue
        if typeflag == b"K":
            continue
        name = pending_name or _header_name(header)
        pending_name = None
        pending_size = None
        last_name = name
        if typeflag in _REGULAR_TYPES:
            yield TarMember(name=name, data=payload)


def _header_name(header: bytes) -> str:
    name = header[0:100].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    if header[257:262] == b"ustar":
        prefix = header[345:500].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        if prefix:
            name = f"{prefix}/{name}"
    return name


def iter_raw_samples(source: BinaryIO | bytes, *, shard: str = "<stream>") -> Iterator[RawSample]:
    """Group tar members into samples, as WebDataset does: consecutive members sharing a key.

    Members whose name has no suffix (no ``.``) are skipped, like WebDataset does.

    Raises:
        IncompleteSampleError: a member has an empty sample key, or a suffix repeats in a sample.
    """
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray | memoryview) else source
    current_key: str | None = None
    members: dict[str, bytes] = {}
    for member in iter_tar_members(stream, shard=shard):
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
        if parts.suffix in members:
            raise IncompleteSampleError(
                f"sample {current_key!r} has member {parts.suffix!r} twice", shard=shard, member=member.name
            )
        members[parts.suffix] = member.data
    if current_key is not None:
        yield RawSample(current_key, members)
