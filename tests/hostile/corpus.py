"""The hostile shard corpus: generated shards that once hung, exploded or leaked a raw exception.

Every case is a whole ``.tar`` (or a file posing as one) built from hand-made tar framing
(:mod:`tests.hostile.tarcraft`) around members encoded by our own encoder, one class per layer:
tar headers, PAX records, sample grouping, JPEG frames, JSON, ``.pth`` tensors, semidense
points. Each case says what a reader must end with: ``"error"`` (our ``FormatError`` or a
subclass) or ``"either"`` (a valid sample or our error). Some cases lower a ceiling
(``limits``) to reach a check without writing a gigabyte.
"""

from __future__ import annotations

import io
import json
import pickle
import struct
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import torch

from atek_store.format import encode_jpeg, encode_tensor
from tests.hostile import tarcraft as T

KEY = "hostile_AtekDataSample_000000"
GIB = 1 << 30


@dataclass(frozen=True)
class Case:
    """One hostile shard and what reading it must end with."""

    name: str
    kind: str  # the class: header, pax, sample, jpeg, json, tensor, semidense
    data: bytes
    expect: str = "error"  # "error": our FormatError; "either": a valid sample or our error
    limits: dict[str, int] = field(default_factory=dict)

    def file_name(self) -> str:
        return f"{self.kind}-{self.name}.tar"


def _m(suffix: str, data: bytes) -> bytes:
    name = f"{KEY}.{suffix}"
    if len(name.encode()) <= 100:
        return T.member(name, data)
    return T.pax(T.pax_record(b"path", name.encode())) + T.member("long-name", data)


def _tiny_jpeg(width: int = 8, height: int = 8) -> bytes:
    return encode_jpeg(torch.full((3, height, width), 128, dtype=torch.uint8))


def _progressive_jpeg(*, scans: int) -> bytes:
    """A real progressive JPEG whose last scan is repeated until it has ``scans`` of them."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 120, 150)).save(out, format="JPEG", progressive=True)
    data = out.getvalue()
    last = data.rindex(b"\xff\xda")
    extra = scans - data.count(b"\xff\xda")
    return data[:-2] + data[last:-2] * max(0, extra) + b"\xff\xd9"


def _good_members() -> list[bytes]:
    return [
        _m("sequence_name.txt", b"hostile"),
        _m("mfcd#camera-rgb+frame_ids.pth", encode_tensor(torch.arange(1))),
        _m("mfcd#camera-rgb+images_0.jpeg", _tiny_jpeg()),
    ]


def _sample(*members: bytes, good: bool = True) -> bytes:
    """One sample: the good members (unless ``good`` is False) plus ``members``."""
    return T.tar(*(_good_members() if good else []), *members)


def _patched_jpeg(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF) declares ``width`` x ``height``."""
    data = bytearray(_tiny_jpeg())
    sof = next(i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] in (0xC0, 0xC2))
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def _zip_with(records: dict[str, bytes], *, compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in records.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _saved(value: object) -> bytes:
    buffer = io.BytesIO()
    torch.save(value, buffer)
    return buffer.getvalue()


def _directory_claims(data: bytes, size: int) -> bytes:
    """A torch.save archive whose directory says its tensor record holds ``size`` bytes."""
    out = bytearray(data)
    pos = out.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = struct.unpack_from("<H", out, pos + 28)[0]
        if out[pos + 46 : pos + 46 + name_len].endswith(b"data/0"):
            struct.pack_into("<II", out, pos + 20, size, size)
        pos = out.find(b"PK\x01\x02", pos + 4)
    return bytes(out)


class _Nasty:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("hostile code ran",))


def _header_cases() -> Iterator[Case]:
    good = b"".join(_good_members())
    yield Case("checksum-not-octal", "header", T.tar(T.header("x.txt", 3, checksum_field=b"zz:zz\0 ")))
    yield Case("checksum-wrong", "header", T.tar(T.header("x.txt", 3, checksum_field=b"000001\0 ")))
    yield Case("size-not-octal", "header", T.tar(T.header(f"{KEY}.a.txt", size_field=b"abcdefgh\0")))
    yield Case(
        "size-base256-2^80",
        "header",
        T.tar(T.header(f"{KEY}.a.txt", size_field=b"\x80" + (1 << 80).to_bytes(11, "big"))),
    )
    yield Case("size-base256-negative", "header", T.tar(T.header(f"{KEY}.a.txt", size_field=b"\xff" * 12)))
    yield Case(
        "size-high-bit-junk", "header", T.tar(T.header(f"{KEY}.a.txt", size_field=b"\x81" + b"\x00" * 11))
    )
    yield Case("size-8GiB-little-data", "header", T.tar(T.header(f"{KEY}.a.txt", 8 * GIB), b"x" * 4096))
    yield Case("size-past-end-of-file", "header", T.header(f"{KEY}.a.txt", 200 << 20) + b"x" * 4096)
    yield Case("size-huge-octal-text", "header", T.tar(T.header(f"{KEY}.a.txt", size_field=b"77777777777\0")))
    yield Case("gnu-longname-2^40", "header", T.tar(T.header("././@LongLink", 1 << 40, typeflag=b"L")))
    yield Case(
        "gnu-longname-2MiB", "header", T.tar(T.member("././@LongLink", b"n" * (2 << 20), typeflag=b"L"))
    )
    yield Case(
        "directory-with-size", "header", T.tar(T.header("dir/", 1 << 20, typeflag=b"5")), expect="error"
    )
    passwd = b"".join(b"user%d:x:%d:%d::/home/user%d:/bin/sh\n" % (i, i, i, i) for i in range(40))
    yield Case("etc-passwd", "header", passwd)
    yield Case("random-bytes", "header", bytes((i * 7919 + 13) % 256 for i in range(4096)))
    yield Case("empty-file", "header", b"")
    yield Case("100-bytes", "header", b"\x1f\x8b" + b"\0" * 98)
    yield Case("zip-file", "header", _zip_with({"a.txt": b"hello"}))
    yield Case("cut-inside-member", "header", good[: len(good) - 300])
    yield Case("no-end-marker", "header", good)
    yield Case("garbage-after-end", "header", T.tar(good) + b"garbage" * 100, expect="either")


def _pax_cases() -> Iterator[Case]:
    after = _m("sequence_name.txt", b"x")
    records = {
        "length-0": b"0 path=x\n",
        "length-negative": b"-5 path=x\n",
        "length-too-small": b"3 path=x\n",
        "length-past-end": b"999 path=x\n",
        "length-5000-digits": b"9" * 5000 + b" path=x\n",
        "no-newline": b"11 path=abc",
        "no-equals": b"9 pathxx\n",
        "size-abc": T.pax_record(b"size", b"abc"),
        "size-minus-1": T.pax_record(b"size", b"-1"),
        "size-5000-digits": T.pax_record(b"size", b"9" * 5000),
        "size-2^40": T.pax_record(b"size", str(1 << 40).encode()),
        "key-not-utf8": T.pax_record(b"\xff\xfe", b"1"),
        "no-space": b"12345678901234567890123456",
    }
    for name, payload in records.items():
        yield Case(name, "pax", T.tar(T.pax(payload), after))
    yield Case(
        "path-not-utf8",
        "pax",
        T.tar(T.pax(T.pax_record(b"path", KEY.encode() + b".\xff\xfe.txt")), after),
        expect="either",
    )
    yield Case("header-2^40", "pax", T.tar(T.header("././@PaxHeader", 1 << 40, typeflag=b"x")))
    yield Case("header-2MiB", "pax", T.tar(T.pax(T.pax_record(b"comment", b"c" * (2 << 20))), after))
    many = b"".join(T.pax_record(b"path%d" % i, b"v") for i in range(20000))
    yield Case("20k-records", "pax", T.tar(T.pax(many), after), expect="either")
    yield Case("global-garbage", "pax", T.tar(T.pax(b"0 junk\n", typeflag=b"g"), after), expect="either")


def _sample_cases() -> Iterator[Case]:
    yield Case("duplicate-member", "sample", _sample(_m("sequence_name.txt", b"again")))
    yield Case("no-sample-key", "sample", _sample(T.member(".sequence_name.txt", b"x")))
    yield Case("unknown-extension", "sample", _sample(_m("notes.xml", b"<x/>")))
    big = _m("mtd#capture_timestamps_ns.txt", b"t" * (300 << 10))
    yield Case(
        "over-max-sample-bytes",
        "sample",
        _sample(big, *[_m(f"k{i}.txt", b"t" * (300 << 10)) for i in range(4)]),
        limits={"max_sample_bytes": 1 << 20},
    )
    yield Case("over-max-member-bytes", "sample", _sample(big), limits={"max_member_bytes": 1 << 17})
    names = [_m(f"n{i:05d}#x.txt", b"") for i in range(3000)]
    yield Case("3000-members", "sample", _sample(*names), expect="either")
    long_name = T.pax(T.pax_record(b"path", (KEY + "." + "k" * 200_000 + ".txt").encode()))
    yield Case("200k-char-name", "sample", _sample(long_name, T.member("placeholder", b"x")), expect="either")


def _jpeg_cases() -> Iterator[Case]:
    frame = "mfcd#camera-rgb+images_{}.jpeg"
    yield Case("60000x60000", "jpeg", T.tar(_m(frame.format(0), _patched_jpeg(60000, 60000))))
    yield Case("16000x16000", "jpeg", T.tar(_m(frame.format(0), _patched_jpeg(16000, 16000))))
    yield Case(
        "4000x4000-truncated", "jpeg", T.tar(_m(frame.format(0), _patched_jpeg(4000, 4000))), expect="either"
    )
    many = [_m(frame.format(i), _patched_jpeg(4096, 4096)) for i in range(300)]
    yield Case("300-frames-of-4096x4096", "jpeg", T.tar(*many))
    yield Case("5000-frames", "jpeg", T.tar(*[_m(frame.format(i), _tiny_jpeg(2, 2)) for i in range(5000)]))
    yield Case("frames-differ-in-size", "jpeg", _sample(_m(frame.format(1), _tiny_jpeg(16, 8))))
    yield Case("garbage", "jpeg", T.tar(_m(frame.format(0), b"\xff\xd8not a jpeg at all")))
    yield Case("empty", "jpeg", T.tar(_m(frame.format(0), b"")))
    jpeg = _tiny_jpeg()
    scans = jpeg[:-2] + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" * 2000 + b"\xff\xd9"
    yield Case("2000-scans", "jpeg", T.tar(_m(frame.format(0), scans)))
    yield Case("progressive-2000-scans", "jpeg", T.tar(_m(frame.format(0), _progressive_jpeg(scans=2000))))
    yield Case("frame-gap", "jpeg", _sample(_m(frame.format(2), jpeg)))


def _json_cases() -> Iterator[Case]:
    def gt(data: bytes) -> bytes:
        return _sample(_m("gt_data.json", data))

    yield Case("200k-deep-unclosed", "json", gt(b"[" * 200_000))
    yield Case("200k-deep", "json", gt(b"[" * 200_000 + b"]" * 200_000))
    yield Case("100-deep", "json", gt(b"[" * 100 + b"]" * 100))
    yield Case("5000-digit-number", "json", gt(b'{"a": ' + b"9" * 5000 + b"}"))
    yield Case("not-utf8", "json", gt(b'{"a": "\xff\xfe"}'))
    yield Case("1MB-garbage", "json", gt(b"x" * (1 << 20)))
    yield Case(
        "gt-is-a-list",
        "json",
        _sample(_m("gt_data.json", b"[]"), _m("gt_data#a+b.pth", encode_tensor(torch.zeros(1)))),
    )
    deep = "gt_data#" + "+".join(f"l{i}" for i in range(100))
    yield Case("gt-path-100-levels", "json", _sample(_m(f"{deep}.pth", encode_tensor(torch.zeros(1)))))
    yield Case(
        "gt-path-through-tensor",
        "json",
        _sample(
            _m("gt_data#a.pth", encode_tensor(torch.zeros(1))),
            _m("gt_data#a+b.pth", encode_tensor(torch.zeros(1))),
        ),
        expect="either",
    )
    yield Case("text-not-utf8", "json", _sample(_m("mfcd#camera-rgb+camera_label.txt", b"\xff\xfe")))


def _tensor_cases() -> Iterator[Case]:
    def pth(data: bytes) -> bytes:
        return _sample(_m("mtd#ts_world_device.pth", data))

    plain = encode_tensor(torch.arange(16, dtype=torch.float32))
    yield Case("not-a-zip", "tensor", pth(b"\x80\x02this is not a zip archive" * 10))
    yield Case("legacy-format", "tensor", pth(pickle.dumps(119547037146038801333356) + b"\0" * 64))
    yield Case(
        "deflated-zip",
        "tensor",
        pth(_zip_with({"archive/data.pkl": b"\0" * 4096}, compression=zipfile.ZIP_DEFLATED)),
    )
    yield Case("record-claims-2GiB", "tensor", pth(_directory_claims(plain, (1 << 31) - 1)))
    yield Case("record-claims-4GiB-mark", "tensor", pth(_directory_claims(plain, 0xFFFFFFFF)))
    bad_crc = bytearray(plain)
    record = next(i for i in zipfile.ZipFile(io.BytesIO(plain)).infolist() if i.filename.endswith("data/0"))
    name_len, extra_len = struct.unpack_from("<HH", bad_crc, record.header_offset + 26)
    bad_crc[record.header_offset + 30 + name_len + extra_len + 4] ^= 0xFF
    yield Case("crc-mismatch", "tensor", pth(bytes(bad_crc)))
    yield Case("truncated-zip", "tensor", pth(plain[: len(plain) // 2]))
    yield Case("runs-code", "tensor", pth(_saved([torch.zeros(1), _Nasty()])))
    yield Case("not-a-tensor", "tensor", pth(_saved({"a": torch.zeros(1)})))
    yield Case("zero-stride-2^40", "tensor", pth(_saved(torch.zeros(1).expand(1 << 40))))
    binbytes8 = b"\x80\x02\x8e" + (1 << 62).to_bytes(8, "little") + b"x" * 16
    yield Case(
        "pickle-claims-2^62-bytes",
        "tensor",
        pth(_zip_with({"archive/data.pkl": binbytes8, "archive/byteorder": b"little"})),
    )
    eocd = bytearray(plain)
    struct.pack_into("<I", eocd, len(eocd) - 6, 0x7FFFFFF0)
    yield Case("directory-outside", "tensor", pth(bytes(eocd)))


def _semidense_cases() -> Iterator[Case]:
    def points(lengths: torch.Tensor, stacked: torch.Tensor) -> bytes:
        return _sample(
            _m("msdpd#points_world_lengths.pth", encode_tensor(lengths)),
            _m("msdpd#points_world+stacked.pth", encode_tensor(stacked)),
        )

    yield Case("negative-lengths", "semidense", points(torch.tensor([5, -2]), torch.zeros(3, 3)))
    yield Case("float-lengths", "semidense", points(torch.tensor([1.5, 1.5]), torch.zeros(3, 3)))
    yield Case("2d-lengths", "semidense", points(torch.ones(2, 2, dtype=torch.int64), torch.zeros(4, 3)))
    yield Case("1M-lengths", "semidense", points(torch.zeros(1 << 20, dtype=torch.int64), torch.zeros(0, 3)))
    yield Case("scalar-stacked", "semidense", points(torch.tensor([0]), torch.tensor(1.0)))
    yield Case("sum-mismatch", "semidense", points(torch.tensor([2, 2]), torch.zeros(3, 3)))


BUILDERS: dict[str, Callable[[], Iterator[Case]]] = {
    "header": _header_cases,
    "pax": _pax_cases,
    "sample": _sample_cases,
    "jpeg": _jpeg_cases,
    "json": _json_cases,
    "tensor": _tensor_cases,
    "semidense": _semidense_cases,
}
"""The classes of the corpus; the tar-layer ones (header, pax) need no decoding."""


def build_corpus(folder: Path) -> list[dict[str, object]]:
    """Write every case into ``folder``; returns the cases as JSON-able records (path, expect, limits)."""
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for builder in BUILDERS.values():
        for case in builder():
            path = folder / case.file_name()
            path.write_bytes(case.data)
            records.append(
                {
                    "name": f"{case.kind}/{case.name}",
                    "kind": case.kind,
                    "path": str(path),
                    "expect": case.expect,
                    "limits": case.limits,
                }
            )
    (folder / "corpus.json").write_text(json.dumps(records, indent=1))
    return records
