"""Hand-built tar bytes: headers with any field set to anything, for shards no tar writer would produce.

A header is built field by field (name, size, typeflag, magic, checksum), each overridable with
raw bytes; the checksum is computed over the result unless a raw one is given, so a test can
reach the code behind the checksum with a hostile size or type.
"""

from __future__ import annotations

BLOCK = 512
END = b"\0" * (2 * BLOCK)


def checksum(header: bytes) -> bytes:
    """The checksum field for a 512-byte header (computed with the field as spaces)."""
    total = sum(header[:148]) + 8 * 32 + sum(header[156:])
    return b"%06o\0 " % total


def header(
    name: str | bytes,
    size: int = 0,
    *,
    typeflag: bytes = b"0",
    size_field: bytes | None = None,
    checksum_field: bytes | None = None,
    magic: bytes = b"ustar\x0000",
) -> bytes:
    """One 512-byte ustar header; raw ``size_field`` / ``checksum_field`` replace the computed ones."""
    raw_name = name.encode("utf-8", "surrogateescape") if isinstance(name, str) else name
    block = bytearray(BLOCK)
    block[0:100] = raw_name[:100].ljust(100, b"\0")
    block[100:108] = b"0000644\0"
    block[108:116] = b"0000000\0"
    block[116:124] = b"0000000\0"
    field = size_field if size_field is not None else b"%011o\0" % size
    block[124:136] = field[:12].ljust(12, b"\0")
    block[136:148] = b"00000000000\0"
    block[156:157] = typeflag
    block[257:265] = magic[:8].ljust(8, b"\0")
    block[148:156] = b" " * 8
    block[148:156] = (
        checksum_field[:8].ljust(8, b" ") if checksum_field is not None else checksum(bytes(block))
    )
    return bytes(block)


def padded(data: bytes) -> bytes:
    """``data`` padded with zeros to a whole number of blocks."""
    return data + b"\0" * (-len(data) % BLOCK)


def member(name: str | bytes, data: bytes, *, typeflag: bytes = b"0") -> bytes:
    """A member of type ``typeflag`` (regular by default): its header and its padded data."""
    return header(name, len(data), typeflag=typeflag) + padded(data)


def pax_record(key: bytes, value: bytes) -> bytes:
    """One well-formed PAX record: ``<length> <key>=<value>`` and a newline."""
    body = b" " + key + b"=" + value + b"\n"
    length = len(body) + 1
    while len(str(length)) + len(body) != length:
        length += 1
    return str(length).encode() + body


def pax(payload: bytes, *, typeflag: bytes = b"x", name: str = "././@PaxHeader") -> bytes:
    """A PAX extended header (``x``, or ``g`` for global) carrying ``payload`` as is."""
    return header(name, len(payload), typeflag=typeflag) + padded(payload)


def tar(*parts: bytes, end: bool = True) -> bytes:
    """The concatenated parts, with the end-of-archive marker unless ``end`` is False."""
    return b"".join(parts) + (END if end else b"")
