"""The tar reader reads what tarfile writes (ustar, GNU, PAX, long names), and never loops on its own."""

from __future__ import annotations

import io
import tarfile

from hypothesis import given, settings
from hypothesis import strategies as st

from atek_store.format.tario import iter_raw_samples, iter_tar_members

FORMATS = {"ustar": tarfile.USTAR_FORMAT, "gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT}
_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-#+", min_size=1, max_size=150)


def _write(members: list[tuple[str, bytes]], fmt: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@settings(max_examples=60, deadline=None)
@given(
    members=st.lists(st.tuples(_names, st.binary(max_size=1500)), max_size=6),
    fmt=st.sampled_from(sorted(FORMATS)),
    known_length=st.booleans(),
)
def test_reads_back_what_tarfile_writes(
    members: list[tuple[str, bytes]], fmt: str, known_length: bool
) -> None:
    if fmt == "ustar":  # ustar cannot hold names over 100 characters without a '/' to split at
        members = [(name[:100], data) for name, data in members]
    data = _write(members, FORMATS[fmt])
    length = len(data) if known_length else None
    got = [(m.name, m.data) for m in iter_tar_members(io.BytesIO(data), length=length)]
    assert got == members


def test_samples_group_consecutive_members_by_key() -> None:
    data = _write(
        [("a_AtekDataSample_000000.x.txt", b"1"), ("a_AtekDataSample_000000.y.txt", b"2"), ("b.x.txt", b"3")],
        tarfile.PAX_FORMAT,
    )
    samples = list(iter_raw_samples(data))
    assert [(s.key, s.members) for s in samples] == [
        ("a_AtekDataSample_000000", {"x.txt": b"1", "y.txt": b"2"}),
        ("b", {"x.txt": b"3"}),
    ]


def test_a_header_summed_as_signed_bytes_is_accepted() -> None:
    data = bytearray(_write([("é_AtekDataSample_000000.x.txt", b"1")], tarfile.USTAR_FORMAT))
    header = data[:512]
    signed = sum(b - 256 if b > 127 else b for b in header[:148] + b" " * 8 + header[156:])
    data[148:156] = b"%06o\0 " % signed
    assert [m.data for m in iter_tar_members(io.BytesIO(bytes(data)))] == [b"1"]
