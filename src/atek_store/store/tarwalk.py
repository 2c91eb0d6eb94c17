"""An incremental walk over the 512-byte headers of a tar file, fed the bytes as they are read.

Publishing reads every shard once: the same chunks go to SHA-1 and to this walker, which checks
the tar structure as it streams by (header checksums, sizes, PAX and GNU extended headers, member
data present in full, the end-of-archive marker) without keeping member data in memory. It
records, for each regular member, its name, size, first and last bytes, and the whole payload of
members a caller asks to keep (small text members), so that a content check can follow.

A tar is complete when the walk reaches the end-of-archive marker (a zero block); a file that
stops anywhere before it, even exactly between two members, was cut short. What follows the
marker must be zeros (the record padding that writers add).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from atek_store.errors import FormatError, TruncatedShardError

__all__ = ["BLOCK", "TarMember", "TarWalker"]

BLOCK = 512
# Bytes kept from each end of every member, for cheap magic-number checks.
EDGE = 16
# An extended (PAX / GNU long name) header larger than this is corrupt, not a long name.
_MAX_EXTENDED = 1 << 20

_REGULAR = (b"0", b"\0", b"7")
# Member types whose header is followed by no data blocks, whatever their size field says
# (the rule of POSIX and of Python's tarfile).
_NO_DATA = (b"1", b"2", b"3", b"4", b"5", b"6")
_EXTENDED = (b"x", b"g", b"L", b"K")


@dataclass(frozen=True)
class TarMember:
    """One regular file of a tar: its name, size, where its data starts, and its edges."""

    name: str
    size: int
    offset: int
    head: bytes
    tail: bytes
    data: bytes | None


class _State(enum.Enum):
    HEADER = enum.auto()
    PAYLOAD = enum.auto()
    PADDING = enum.auto()
    END = enum.auto()


class TarWalker:
    """Check a tar's structure from its bytes, fed in chunks of any size.

    Args:
        shard: the file's name, used in error messages.
        keep_data: called with a member's name and size; when it returns True the member's whole
            payload is kept in :attr:`TarMember.data`.
    """

    def __init__(self, *, shard: str, keep_data: Callable[[str, int], bool] | None = None) -> None:
        self._shard = shard
        self._keep_data = keep_data
        self._members: list[TarMember] = []
        self._state = _State.HEADER
        self._pos = 0  # bytes consumed so far
        self._header = bytearray()
        self._remaining = 0  # payload or padding bytes still to come
        self._padding_after = 0
        # The member or extended header whose payload is streaming by.
        self._current_name = ""
        self._current_size = 0
        self._current_offset = 0
        self._current_type = b"0"
        self._head = bytearray()
        self._tail = bytearray()
        self._data: bytearray | None = None
        # Overrides from extended headers that apply to the next member.
        self._pax: dict[str, str] = {}
        self._long_name: str | None = None

    @property
    def members(self) -> tuple[TarMember, ...]:
        """The regular members seen so far, in file order."""
        return tuple(self._members)

    def feed(self, chunk: bytes | bytearray | memoryview) -> None:
        """Consume the next bytes of the file.

        Raises:
            FormatError: a header is corrupt or bytes follow the end-of-archive marker.
        """
        view = memoryview(chunk).cast("B")
        start, end = 0, len(view)
        while start < end:
            if self._state is _State.HEADER:
                take = min(BLOCK - len(self._header), end - start)
                self._header += view[start : start + take]
                start += take
                self._pos += take
                if len(self._header) == BLOCK:
                    block = bytes(self._header)
                    self._header.clear()
                    self._on_header(block)
            elif self._state is _State.PAYLOAD:
                take = min(self._remaining, end - start)
                self._on_payload(view[start : start + take])
                start += take
                self._pos += take
                self._remaining -= take
                if self._remaining == 0:
                    self._on_payload_end()
            elif self._state is _State.PADDING:
                take = min(self._remaining, end - start)
                start += take
                self._pos += take
                self._remaining -= take
                if self._remaining == 0:
                    self._state = _State.HEADER
            else:
                rest = view[start:end]
                if rest.tobytes().count(0) != len(rest):
                    raise self._error(
                        f"non-zero bytes after the end-of-archive marker (near byte {self._pos}); "
                        "the file is not one well-formed tar"
                    )
                self._pos += len(rest)
                start = end

    def finish(self) -> tuple[TarMember, ...]:
        """Declare the end of the file; return its regular members.

        Raises:
            TruncatedShardError: the file stops before its end-of-archive marker.
            FormatError: the file is empty.
        """
        if self._state is _State.END:
            return self.members
        if self._pos == 0:
            raise self._error("the file is empty, not a tar")
        if self._state is _State.PAYLOAD:
            done = self._current_size - self._remaining
            raise TruncatedShardError(
                f"the tar is cut short inside a member (after byte {done} of its {self._current_size}); "
                "re-create or re-download the shard",
                shard=self._shard,
                member=self._current_name,
            )
        if self._state is _State.HEADER and self._header:
            what = f"a header ({len(self._header)} of {BLOCK} bytes)"
        else:
            what = "the last member, with no end-of-archive marker"
        raise TruncatedShardError(
            f"the tar is cut short after {what} at byte {self._pos}; re-create or re-download the shard",
            shard=self._shard,
        )

    def _error(self, message: str, member: str | None = None) -> FormatError:
        return FormatError(message, shard=self._shard, member=member)

    def _on_header(self, block: bytes) -> None:
        header_at = self._pos - BLOCK
        if block.count(0) == BLOCK:
            if self._pax or self._long_name is not None:
                raise self._error(f"an extended header at byte {header_at - BLOCK} describes no member")
            self._state = _State.END
            return
        self._check_checksum(block, header_at)
        typeflag = block[156:157]
        size = self._number(block[124:136], "size", header_at)
        name = self._name(block)
        if typeflag in _EXTENDED:
            if size > _MAX_EXTENDED:
                raise self._error(f"extended header of {size} bytes at byte {header_at} is implausible")
            self._start_payload(name, size, typeflag, keep=True)
            return
        if typeflag == b"S" or any(key.startswith("GNU.sparse") for key in self._pax):
            raise self._error("sparse members are not supported in shards", member=name)
        if "path" in self._pax:
            name = self._pax["path"]
        elif self._long_name is not None:
            name = self._long_name
        if "size" in self._pax:
            size = self._pax_size(self._pax["size"], name)
        self._pax = {}
        self._long_name = None
        if typeflag in _NO_DATA:
            return
        self._start_payload(name, size, typeflag, keep=self._wants(name, size, typeflag))

    def _wants(self, name: str, size: int, typeflag: bytes) -> bool:
        return typeflag in _REGULAR and self._keep_data is not None and self._keep_data(name, size)

    def _start_payload(self, name: str, size: int, typeflag: bytes, *, keep: bool) -> None:
        self._current_name = name
        self._current_size = size
        self._current_offset = self._pos
        self._current_type = typeflag
        self._head.clear()
        self._tail.clear()
        self._data = bytearray() if keep else None
        self._remaining = size
        self._padding_after = -size % BLOCK
        self._state = _State.PAYLOAD
        if size == 0:
            self._on_payload_end()

    def _on_payload(self, piece: memoryview) -> None:
        if len(self._head) < EDGE:
            self._head += piece[: EDGE - len(self._head)]
        if len(piece) >= EDGE:
            self._tail[:] = piece[-EDGE:]
        else:
            self._tail += piece
            del self._tail[:-EDGE]
        if self._data is not None:
            self._data += piece

    def _on_payload_end(self) -> None:
        typeflag = self._current_type
        data = bytes(self._data) if self._data is not None else None
        if typeflag in (b"x", b"g"):
            records = self._parse_pax(data or b"")
            if typeflag == b"x":
                self._pax.update(records)
        elif typeflag == b"L":
            self._long_name = (data or b"").split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        elif typeflag in _REGULAR:
            self._members.append(
                TarMember(
                    name=self._current_name,
                    size=self._current_size,
                    offset=self._current_offset,
                    head=bytes(self._head),
                    tail=bytes(self._tail),
                    data=data,
                )
            )
        self._data = None
        self._remaining = self._padding_after
        self._state = _State.PADDING if self._remaining else _State.HEADER

    def _check_checksum(self, block: bytes, header_at: int) -> None:
        stored = self._number(block[148:156], "checksum", header_at)
        # The checksum is computed with its own field read as eight spaces; old writers summed
        # signed chars, so accept either sum.
        unsigned = sum(block[:148]) + 8 * 32 + sum(block[156:])
        signed = unsigned - 2 * sum(1 for b in block[:148] + block[156:] if b > 127) * 128
        if stored not in (unsigned, signed):
            raise self._error(
                f"tar header at byte {header_at} fails its checksum: the shard is corrupt (not a tar, "
                "or damaged bytes)"
            )

    def _number(self, field: bytes, what: str, header_at: int) -> int:
        if field[0] & 0x80:
            # GNU base-256 for values that do not fit in octal; a leading 0xff means negative.
            if field[0] == 0xFF:
                raise self._error(f"negative {what} in tar header at byte {header_at}")
            return int.from_bytes(bytes([field[0] & 0x7F]) + field[1:], "big")
        text = field.split(b"\0", 1)[0].strip(b" ")
        if not text:
            return 0
        try:
            return int(text, 8)
        except ValueError:
            raise self._error(f"tar header at byte {header_at} has a non-octal {what} field") from None

    def _name(self, block: bytes) -> str:
        name = block[:100].split(b"\0", 1)[0]
        if block[257:263] == b"ustar\0":
            prefix = block[345:500].split(b"\0", 1)[0]
            if prefix:
                name = prefix + b"/" + name
        return name.decode("utf-8", "surrogateescape")

    def _pax_size(self, text: str, name: str) -> int:
        if not text.isdigit():
            raise self._error(f"PAX size {text!r} is not a number", member=name)
        return int(text)

    def _parse_pax(self, data: bytes) -> dict[str, str]:
        # Records are "<length> <key>=<value>\n", the length counting the whole record.
        records: dict[str, str] = {}
        pos = 0
        while pos < len(data) and data[pos] != 0:
            space = data.find(b" ", pos)
            length_text = data[pos:space] if space > pos else b""
            if not length_text.isdigit() or int(length_text) <= space - pos + 1:
                raise self._error(f"malformed PAX extended header before byte {self._pos}")
            record = data[pos : pos + int(length_text)]
            key, equals, value = record[space - pos + 1 : -1].partition(b"=")
            if len(record) != int(length_text) or not record.endswith(b"\n") or not equals:
                raise self._error(f"malformed PAX extended header before byte {self._pos}")
            records[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
            pos += len(record)
        return records
