"""Digesting shards: SHA-1 and size in one read, and refusal of shards that are not readable."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atek_store.errors import FormatError, TruncatedShardError
from atek_store.store.shardcheck import digest_shard, digest_shards
from tests.store.builders import member_bytes, sha1_of, write_shard, write_tar


@pytest.mark.parametrize(("folder", "samples"), [("adt_cubercnn", 1), ("adt_efm_short", 2)])
def test_golden_shard_digest_matches_an_independent_hash(golden_dir: Path, folder: str, samples: int) -> None:
    path = golden_dir / "wds" / folder / "shards-0000.tar"
    digest = digest_shard(path)
    assert digest.sha1 == sha1_of(path)
    assert digest.size == path.stat().st_size
    assert digest.samples == samples


def test_small_read_chunks_give_the_same_digest(tmp_path: Path) -> None:
    path = write_shard(tmp_path / "shards-0000.tar", samples=3)
    assert digest_shard(path, chunk_size=333) == digest_shard(path)


def test_truncated_shard_is_refused_with_its_name(tmp_path: Path) -> None:
    path = write_shard(tmp_path / "shards-0000.tar", samples=2)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(TruncatedShardError) as info:
        digest_shard(path)
    assert str(path) in str(info.value)
    assert info.value.shard == str(path)


def _valid_members() -> dict[str, bytes]:
    import random

    return {f"k.{field}": payload for field, payload in member_bytes(random.Random(0)).items()}


@pytest.mark.parametrize(
    ("field", "payload", "what"),
    [
        ("mfcd#camera-rgb+projection_params.pth", b"\x80\x02not a zip", "tensor|pth|zip|torch"),
        ("mfcd#camera-rgb+images_0.jpeg", b"\xff\xd8\xff\xe0" + b"\0" * 100, "JPEG"),
        ("gt_data.json", b'{"obb3_gt": ', "JSON"),
        ("sequence_name.txt", b"\xff\xfe\xfa", "UTF-8"),
        ("unknown_thing.exe", b"MZ", "extension"),
    ],
)
def test_member_content_must_match_its_extension(
    tmp_path: Path, field: str, payload: bytes, what: str
) -> None:
    members = _valid_members()
    members[f"k.{field}"] = payload
    path = write_tar(tmp_path / "shards-0000.tar", members)
    with pytest.raises(FormatError, match=what) as info:
        digest_shard(path)
    assert field in str(info.value.member)
    assert info.value.shard == str(path)


def test_a_tar_without_samples_is_refused(tmp_path: Path) -> None:
    path = write_tar(tmp_path / "shards-0000.tar", {"README": b"no samples here"})
    with pytest.raises(FormatError, match="no samples"):
        digest_shard(path)


def test_valid_json_members_pass(tmp_path: Path) -> None:
    members = _valid_members()
    members["k.gt_data.json"] = json.dumps({"a": [1, 2, {"b": None}]}).encode()
    assert digest_shard(write_tar(tmp_path / "shards-0000.tar", members)).samples == 1


def test_digest_shards_keeps_order_and_names_every_bad_shard(tmp_path: Path) -> None:
    paths = [write_shard(tmp_path / f"s{i}" / "shards-0000.tar", seed=i) for i in range(5)]
    digests = digest_shards(paths, workers=3)
    assert [d.path for d in digests] == paths
    assert [d.sha1 for d in digests] == [sha1_of(p) for p in paths]
    for bad in (paths[1], paths[3]):
        bad.write_bytes(bad.read_bytes()[:700])
    with pytest.raises(FormatError) as info:
        digest_shards(paths, workers=3)
    message = str(info.value)
    assert "2 of 5 shards" in message
    assert str(paths[1]) in message
    assert str(paths[3]) in message
    assert str(paths[0]) not in message


def test_progress_is_called_once_per_good_shard(tmp_path: Path) -> None:
    paths = [write_shard(tmp_path / f"s{i}" / "shards-0000.tar", seed=i) for i in range(3)]
    seen: list[Path] = []
    digest_shards(paths, progress=lambda digest: seen.append(digest.path))
    assert sorted(seen) == sorted(paths)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_shard_cut_anywhere_is_refused(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    folder = tmp_path_factory.mktemp("cut")
    path = write_shard(folder / "shards-0000.tar", samples=2)
    whole = path.read_bytes()
    with tarfile.open(path) as tar:
        last = tar.getmembers()[-1]
    end_of_members = last.offset_data + -(-last.size // 512) * 512
    cut = data.draw(st.integers(min_value=0, max_value=end_of_members))
    path.write_bytes(whole[:cut])
    with pytest.raises(FormatError):
        digest_shard(path)


def test_bytes_after_the_end_marker_are_refused(tmp_path: Path) -> None:
    path = write_shard(tmp_path / "shards-0000.tar")
    path.write_bytes(path.read_bytes() + b"\x01")
    with pytest.raises(FormatError, match="after the end-of-archive marker"):
        digest_shard(path)


def test_a_damaged_header_is_refused(tmp_path: Path) -> None:
    path = write_shard(tmp_path / "shards-0000.tar")
    data = bytearray(path.read_bytes())
    data[10] ^= 0x01  # inside the first member header's name
    path.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="checksum"):
        digest_shard(path)


def test_the_tar_check_skips_decoding_but_not_structure(tmp_path: Path) -> None:
    members = _valid_members()
    members["k.mfcd#camera-rgb+images_0.jpeg"] = b"\xff\xd8\xff\xe0" + b"\0" * 100
    path = write_tar(tmp_path / "shards-0000.tar", members)
    assert digest_shard(path, check="tar").samples == 1
    with pytest.raises(FormatError, match="JPEG"):
        digest_shard(path, check="full")
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(TruncatedShardError):
        digest_shard(path, check="tar")
