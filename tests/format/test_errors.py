"""Bad shards raise our own errors naming the shard and the member."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
import torch

from atek_store.errors import (
    FormatError,
    ImageDecodeError,
    IncompleteSampleError,
    TruncatedShardError,
    UnknownMemberError,
    UnsafeTensorError,
)
from atek_store.format import encode_jpeg, encode_tensor, iter_shard

KEY = "test_AtekDataSample_000000"


def write_tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def good_members() -> dict[str, bytes]:
    return {
        f"{KEY}.mfcd#camera-rgb+frame_ids.pth": encode_tensor(torch.arange(2)),
        f"{KEY}.mfcd#camera-rgb+images_0.jpeg": encode_jpeg(torch.zeros(3, 8, 8, dtype=torch.uint8)),
        f"{KEY}.mfcd#camera-rgb+images_1.jpeg": encode_jpeg(torch.zeros(3, 8, 8, dtype=torch.uint8)),
        f"{KEY}.sequence_name.txt": b"seq",
    }


class _RunsCode:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def test_good_shard_decodes(tmp_path: Path) -> None:
    (sample,) = iter_shard(write_tar(tmp_path / "s.tar", good_members()))
    assert sample["mfcd#camera-rgb+images"].shape == (2, 3, 8, 8)


def test_truncated_tar_names_shard_and_member(tmp_path: Path) -> None:
    data = (write_tar(tmp_path / "s.tar", good_members())).read_bytes()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(data[: 512 * 4 + 100])  # inside a member's data
    with pytest.raises(TruncatedShardError) as info:
        list(iter_shard(cut))
    assert str(cut) in str(info.value)
    assert KEY in str(info.value.member)


@pytest.mark.parametrize("cut_at", [100, 512 + 7, 1500, 3000])
def test_truncation_anywhere_is_reported_not_silently_shortened(tmp_path: Path, cut_at: int) -> None:
    data = write_tar(tmp_path / "s.tar", good_members()).read_bytes()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(data[:cut_at])
    with pytest.raises(TruncatedShardError):
        list(iter_shard(cut))


def test_corrupt_header_is_reported(tmp_path: Path) -> None:
    data = bytearray(write_tar(tmp_path / "s.tar", good_members()).read_bytes())
    data[10] ^= 0xFF
    bad = tmp_path / "bad.tar"
    bad.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="checksum"):
        list(iter_shard(bad))


def test_unknown_extension_is_refused(tmp_path: Path) -> None:
    members = good_members() | {f"{KEY}.notes.xml": b"<x/>"}
    with pytest.raises(UnknownMemberError) as info:
        list(iter_shard(write_tar(tmp_path / "s.tar", members)))
    assert "notes.xml" in str(info.value)
    assert "s.tar" in str(info.value)


def test_pickle_that_would_run_code_is_refused_unexecuted(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    buffer = io.BytesIO()
    torch.save({"x": _RunsCode(marker)}, buffer)
    members = good_members() | {f"{KEY}.mtd#ts_world_device.pth": buffer.getvalue()}
    with pytest.raises(UnsafeTensorError) as info:
        list(iter_shard(write_tar(tmp_path / "s.tar", members)))
    assert not marker.exists()
    assert "mtd#ts_world_device.pth" in str(info.value)


def test_pth_holding_a_non_tensor_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    torch.save({"a": torch.zeros(1)}, buffer)
    members = good_members() | {f"{KEY}.mtd#ts_world_device.pth": buffer.getvalue()}
    with pytest.raises(FormatError, match="single tensor"):
        list(iter_shard(write_tar(tmp_path / "s.tar", members)))


def test_jpeg_that_does_not_decode(tmp_path: Path) -> None:
    members = good_members() | {f"{KEY}.mfcd#camera-rgb+images_1.jpeg": b"\xff\xd8not a jpeg"}
    with pytest.raises(ImageDecodeError) as info:
        list(iter_shard(write_tar(tmp_path / "s.tar", members)))
    assert "images_1.jpeg" in str(info.value)


def test_member_without_sample_key(tmp_path: Path) -> None:
    members = good_members() | {".mfcd#camera-rgb+gains.pth": encode_tensor(torch.ones(2))}
    with pytest.raises(IncompleteSampleError, match="no sample key"):
        list(iter_shard(write_tar(tmp_path / "s.tar", members)))


def test_missing_frame_is_reported(tmp_path: Path) -> None:
    members = good_members()
    del members[f"{KEY}.mfcd#camera-rgb+images_0.jpeg"]
    with pytest.raises(IncompleteSampleError, match="frames"):
        list(iter_shard(write_tar(tmp_path / "s.tar", members)))


def test_stacked_semidense_without_lengths(tmp_path: Path) -> None:
    members = good_members() | {f"{KEY}.msdpd#points_world+stacked.pth": encode_tensor(torch.zeros(3, 3))}
    with pytest.raises(IncompleteSampleError, match="points_world_lengths"):
        list(iter_shard(write_tar(tmp_path / "s.tar", members)))


def test_semidense_lengths_that_wrap_around_int64_are_refused(tmp_path: Path) -> None:
    # Four lengths of 2**62 add up to 0 in int64: the wrapped sum matches the 3 rows.
    lengths = torch.tensor([2**62] * 4 + [3], dtype=torch.int64)
    members = good_members() | {
        f"{KEY}.msdpd#points_world+stacked.pth": encode_tensor(torch.zeros(3, 3)),
        f"{KEY}.msdpd#points_world_lengths.pth": encode_tensor(lengths),
    }
    with pytest.raises(IncompleteSampleError, match="sums to") as caught:
        list(iter_shard(write_tar(tmp_path / "s.tar", members)))
    assert caught.value.member == f"{KEY}.msdpd#points_world+stacked.pth"


def test_cut_between_members_is_truncation(tmp_path: Path) -> None:
    data = write_tar(tmp_path / "s.tar", good_members()).read_bytes()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(data[:2560])  # exactly after the first member's padded data
    with pytest.raises(TruncatedShardError, match="end-of-archive"):
        list(iter_shard(cut))
