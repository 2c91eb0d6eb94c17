"""A fast reader for ``.pth`` members that hold one plain tensor, which never runs code from the file.

``torch.load(weights_only=True)`` is safe but slow on small files (about 130 us each, and an ATEK
cubercnn sample has 17 of them): its restricted unpickler is written in Python and it opens the
zip archive through several layers. ATEK's tensors are always the same tiny pickle, so this module
reads the zip's central directory with :mod:`struct`, unpickles ``data.pkl`` with the C unpickler
restricted to three known globals (``torch._utils._rebuild_tensor_v2``, a legacy ``torch.*Storage``
class as a dtype marker, ``collections.OrderedDict``), and builds the tensor straight from the
stored bytes.

Anything outside that shape (big-endian data, another global, ``requires_grad``, hooks) makes
:func:`read_plain_tensor` return None, and the caller falls back to
``torch.load(weights_only=True)``: the fast path never widens what is accepted.

Before either path, the archive's zip directory is checked: every record must be stored
uncompressed (as ``torch.save`` writes them) and lie inside the member. torch's own zip reader
allocates what a record's header declares, so a hostile header could otherwise make it allocate
gigabytes (or inflate a compressed record without bound); such a member is refused with a
``FormatError`` before torch sees it, as is a ``.pth`` that is not a zip archive at all (the legacy
format reads sizes from the stream and allocates them).
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import torch

from atek_store.errors import FormatError

__all__ = ["read_plain_tensor"]

_EOCD = struct.Struct("<4sHHHHIIH")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_CENTRAL_SIGNATURE = b"PK\x01\x02"
_LOCAL_SIGNATURE = b"PK\x03\x04"
_ZIP64_MARK = 0xFFFFFFFF

# Legacy typed-storage classes that torch.save names in the pickle, and the dtype each stands for.
_STORAGE_DTYPES: dict[str, torch.dtype] = {
    "FloatStorage": torch.float32,
    "DoubleStorage": torch.float64,
    "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16,
    "LongStorage": torch.int64,
    "IntStorage": torch.int32,
    "ShortStorage": torch.int16,
    "CharStorage": torch.int8,
    "ByteStorage": torch.uint8,
    "BoolStorage": torch.bool,
}


class _NotPlain(Exception):
    """The member is not the plain single-tensor layout; use the general loader instead."""


class _Corrupt(Exception):
    """A record's bytes do not match the CRC-32 the archive stores for them."""


class _Unsafe(Exception):
    """The archive is not a well-formed stored zip: no loader may be handed it."""


@dataclass(frozen=True)
class _StorageType:
    dtype: torch.dtype


@dataclass(frozen=True)
class _StorageRef:
    dtype: torch.dtype
    record: str
    numel: int


@dataclass(frozen=True)
class _TensorSpec:
    storage: _StorageRef
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _int_tuple(value: Any) -> tuple[int, ...]:
    if not isinstance(value, tuple) or not all(type(item) is int and item >= 0 for item in value):
        raise _NotPlain
    return value


def _rebuild(
    storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any, hooks: Any
) -> _TensorSpec:
    if not isinstance(storage, _StorageRef) or type(offset) is not int or offset < 0:
        raise _NotPlain
    if requires_grad is not False or not isinstance(hooks, dict) or hooks:
        raise _NotPlain
    size, stride = _int_tuple(size), _int_tuple(stride)
    if len(size) != len(stride):
        raise _NotPlain
    return _TensorSpec(storage, offset, size, stride)


class _RestrictedUnpickler(pickle.Unpickler):
    """The C unpickler, allowed to reach only the globals a plain ``torch.save(tensor)`` uses."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        raise _NotPlain

    def persistent_load(self, pid: Any) -> _StorageRef:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise _NotPlain
        _, kind, record, location, numel = pid
        if not isinstance(kind, _StorageType) or not isinstance(record, str) or location != "cpu":
            raise _NotPlain
        if type(numel) is not int or numel < 0:
            raise _NotPlain
        return _StorageRef(kind.dtype, record, numel)


def _records(data: memoryview) -> dict[str, memoryview]:
    """Name -> stored bytes of every entry of an uncompressed zip archive whose records all lie inside it.

    Raises:
        _Unsafe: the bytes are not such an archive (the reason is the message).
        _Corrupt: a record fails its CRC-32.
    """
    end = len(data) - _EOCD.size  # torch writes no archive comment: the record ends the file
    if end < 0 or data[end : end + 4] != _EOCD_SIGNATURE:
        window = max(0, len(data) - 65557)
        found = bytes(data[window:]).rfind(_EOCD_SIGNATURE)
        if found < 0 or window + found + _EOCD.size > len(data):
            raise _Unsafe("it is not a zip archive, which torch.save writes")
        end = window + found
    _, _, _, _, count, cd_size, cd_offset, _ = _EOCD.unpack_from(data, end)
    if cd_offset == _ZIP64_MARK or count == 0xFFFF:
        # torch fills the classic directory fields whenever they fit, as they always do for a
        # member under 4 GiB; ZIP64 markers here would only hide sizes from this check.
        raise _Unsafe("its zip directory uses ZIP64 markers that a member this small never needs")
    if cd_offset + cd_size > end:
        raise _Unsafe("its zip directory lies outside the member")
    records: dict[str, memoryview] = {}
    pos = cd_offset
    for _ in range(count):
        if pos + _CENTRAL.size > end:
            raise _Unsafe("its zip directory is cut short")
        fields = _CENTRAL.unpack_from(data, pos)
        signature, method, crc = fields[0], fields[4], fields[7]
        csize, usize, name_len, extra_len, comment_len, local = (*fields[8:13], fields[16])
        if signature != _CENTRAL_SIGNATURE:
            raise _Unsafe("its zip directory is corrupt")
        if method != 0 or csize != usize:
            raise _Unsafe("a record is compressed (torch.save stores every record uncompressed)")
        try:
            name = bytes(data[pos + _CENTRAL.size : pos + _CENTRAL.size + name_len]).decode("utf-8")
        except UnicodeDecodeError:
            raise _Unsafe("a record name is not UTF-8") from None
        pos += _CENTRAL.size + name_len + extra_len + comment_len
        if local + _LOCAL.size > len(data):
            raise _Unsafe(f"record {name[:80]!r} lies outside the member")
        head = _LOCAL.unpack_from(data, local)
        start = local + _LOCAL.size + head[9] + head[10]
        if head[0] != _LOCAL_SIGNATURE or start + usize > len(data):
            raise _Unsafe(f"record {name[:80]!r} lies outside the member")
        body = data[start : start + usize]
        # A zero CRC means the writer skipped it (torch can); otherwise a mismatch is corruption,
        # which torch.load would not notice (it does not check CRCs).
        if crc and zlib.crc32(body) != crc:
            raise _Corrupt(name[:80])
        records[name] = body
    return records


def _checked_records(view: memoryview, shard: str | None, member: str | None) -> dict[str, memoryview]:
    try:
        return _records(view)
    except _Unsafe as error:
        raise FormatError(f".pth member is refused unread: {error}", shard=shard, member=member) from None
    except _Corrupt as error:
        raise FormatError(
            f".pth member is corrupt: record {error} does not match its CRC-32", shard=shard, member=member
        ) from None


def read_plain_tensor(
    data: bytes, *, shard: str | None = None, member: str | None = None
) -> torch.Tensor | None:
    """The tensor in a ``torch.save`` file, or None when it is not the plain single-tensor layout.

    Never executes anything from the file; a None answer means "ask ``torch.load(weights_only=True)``",
    which decides whether the file is acceptable at all.

    Raises:
        FormatError: the archive is refused (see the module docstring) or a record fails its
            CRC-32 check (the bytes are corrupt).
    """
    records = _checked_records(memoryview(data), shard, member)
    try:
        pickles = [name for name in records if name.endswith("/data.pkl") and name.count("/") == 1]
        if len(pickles) != 1:
            return None
        prefix = pickles[0][: -len("data.pkl")]
        order = records.get(prefix + "byteorder")
        if order is not None and bytes(order) != b"little":
            return None
        spec = _RestrictedUnpickler(io.BytesIO(records[pickles[0]])).load()
        if not isinstance(spec, _TensorSpec):
            return None
        storage = records.get(prefix + "data/" + spec.storage.record)
        if storage is None or len(storage) != spec.storage.numel * spec.storage.dtype.itemsize:
            return None
        if spec.storage.numel == 0:
            base = torch.empty(0, dtype=spec.storage.dtype)
        else:
            # A writable copy: the tensor owns its memory (as torch.load's does) and frombuffer
            # does not warn about read-only input.
            base = torch.frombuffer(bytearray(storage), dtype=spec.storage.dtype)
        return torch.as_strided(base, spec.size, spec.stride, spec.offset)
    except MemoryError:
        # The C unpickler allocates what a BINBYTES8 / LONG4 opcode declares before reading it.
        raise FormatError(
            ".pth member declares an object larger than the memory available to hold it",
            shard=shard,
            member=member,
        ) from None
    except (_NotPlain, pickle.UnpicklingError, struct.error, ValueError, TypeError, RuntimeError):
        return None
    except (EOFError, KeyError, IndexError, AttributeError, UnicodeDecodeError, OverflowError):
        return None
