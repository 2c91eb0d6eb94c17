"""The incremental tar walker agrees with tarfile on good tars and refuses cut or damaged ones."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atek_store.errors import FormatError, TruncatedShardError
from atek_store.store.tarwalk import TarWalker


def walk(data: bytes, chunk: int, keep: bool = False) -> list[tuple[str, int, int]]:
    walker = TarWalker(shard="test.tar", keep_data=(lambda name, size: True) if keep else None)
    for start in range(0, len(data), chunk):
        walker.feed(data[start : start + chunk])
    return [(m.name, m.size, m.offset) for m in walker.finish()]


def reference(data: bytes) -> list[tuple[str, int, int]]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return [(m.name, m.size, m.offset_data) for m in tar.getmembers() if m.isreg()]


def make_tar(members: list[tuple[str, bytes]], fmt: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        for name, payload in members:
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def end_marker_offset(data: bytes) -> int:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = tar.getmembers()
    if not members:
        return 0
    last = members[-1]
    return last.offset_data + -(-last.size // 512) * 512


@pytest.mark.parametrize("folder", ["adt_cubercnn", "adt_efm_short"])
@pytest.mark.parametrize("chunk", [512, 4099, 1 << 20])
def test_golden_shards_walk_like_tarfile(golden_dir: Path, folder: str, chunk: int) -> None:
    data = (golden_dir / "wds" / folder / "shards-0000.tar").read_bytes()
    assert walk(data, chunk) == reference(data)


names = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FF, exclude_characters="/\\"),
    min_size=1,
    max_size=140,
)
member_lists = st.lists(st.tuples(names, st.binary(max_size=1500)), min_size=1, max_size=6)
formats = st.sampled_from([tarfile.PAX_FORMAT, tarfile.GNU_FORMAT])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=member_lists, fmt=formats, chunk=st.integers(min_value=1, max_value=3000))
def test_any_tar_walks_like_tarfile_in_any_chunking(
    members: list[tuple[str, bytes]], fmt: int, chunk: int
) -> None:
    data = make_tar(members, fmt)
    assert walk(data, chunk) == reference(data)


@settings(max_examples=40, deadline=None)
@given(members=member_lists, fmt=formats, data=st.data())
def test_a_tar_cut_before_its_end_marker_is_truncated(
    members: list[tuple[str, bytes]], fmt: int, data: st.DataObject
) -> None:
    whole = make_tar(members, fmt)
    cut = data.draw(st.integers(min_value=1, max_value=end_marker_offset(whole)))
    with pytest.raises(TruncatedShardError, match="cut short"):
        walk(whole[:cut], 1000)


def test_ustar_long_names_use_the_prefix_field() -> None:
    name = "d" * 90 + "/" + "f" * 90 + ".pth"
    data = make_tar([(name, b"x")], tarfile.USTAR_FORMAT)
    assert walk(data, 512) == reference(data)
    assert walk(data, 512)[0][0] == name


def test_kept_member_data_is_the_payload() -> None:
    data = make_tar([("k.a.json", b'{"a": 1}'), ("k.b.txt", b"hello")], tarfile.PAX_FORMAT)
    walker = TarWalker(shard="t.tar", keep_data=lambda name, size: name.endswith(".json"))
    walker.feed(data)
    first, second = walker.finish()
    assert first.data == b'{"a": 1}'
    assert second.data is None
    assert second.head == b"hello"
    assert second.tail == b"hello"


def test_head_and_tail_hold_the_member_edges_across_chunks() -> None:
    payload = bytes(range(256)) * 10
    data = make_tar([("k.x.bin", payload)], tarfile.PAX_FORMAT)
    walker = TarWalker(shard="t.tar")
    for start in range(0, len(data), 7):
        walker.feed(data[start : start + 7])
    (member,) = walker.finish()
    assert member.head == payload[:16]
    assert member.tail == payload[-16:]


def test_a_damaged_header_fails_its_checksum() -> None:
    data = bytearray(make_tar([("k.a.txt", b"abc")], tarfile.USTAR_FORMAT))
    data[10] ^= 0x01  # inside the first member's name
    with pytest.raises(FormatError, match="checksum"):
        walk(bytes(data), 512)


def test_a_file_that_is_not_a_tar_is_refused() -> None:
    with pytest.raises(FormatError, match="checksum"):
        walk(b"<html><body>403 Forbidden</body></html>" + b" " * 600, 4096)


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(FormatError, match="empty"):
        walk(b"", 512)


def test_bytes_after_the_end_marker_are_refused() -> None:
    data = make_tar([("k.a.txt", b"abc")], tarfile.PAX_FORMAT) + b"\x01"
    with pytest.raises(FormatError, match="after the end-of-archive marker"):
        walk(data, 4096)


def test_a_single_zero_block_ends_the_archive() -> None:
    data = make_tar([("k.a.txt", b"abc")], tarfile.PAX_FORMAT)
    end = end_marker_offset(data)
    assert walk(data[: end + 512], 512) == reference(data)


def test_malformed_pax_records_are_refused() -> None:
    data = bytearray(make_tar([("k." + "a" * 120 + ".txt", b"abc")], tarfile.PAX_FORMAT))
    # The PAX payload starts at 512; overwrite its first record's length with a wrong one.
    assert data[512:515].isdigit()
    data[512:515] = b"999"
    with pytest.raises(FormatError, match="PAX"):
        walk(bytes(data), 512)
