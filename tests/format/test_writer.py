"""ShardWriter: shard sizes, key numbering, dropping the partial last shard, atomic visibility."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from atek_store.format import ShardWriter, iter_shard
from atek_store.format.keys import parse_sample_key, sample_key, split_member_name


def tiny_sample(i: int) -> dict[str, object]:
    return {
        "mfcd#camera-rgb+images": torch.full((1, 3, 4, 4), i, dtype=torch.uint8),
        "mtd#ts_world_device": torch.zeros(1, 3, 4),
        "gt_data": {},
        "sequence_name": "seq",
    }


def test_samples_split_into_shards_and_keys_keep_counting(tmp_path: Path) -> None:
    with ShardWriter(tmp_path, prefix="P", max_samples_per_shard=3) as writer:
        for i in range(7):
            writer.write(tiny_sample(i))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["shards-0000.tar", "shards-0001.tar", "shards-0002.tar"]
    keys = [[s["__key__"] for s in iter_shard(tmp_path / n)] for n in names]
    assert keys == [
        ["P_AtekDataSample_000000", "P_AtekDataSample_000001", "P_AtekDataSample_000002"],
        ["P_AtekDataSample_000003", "P_AtekDataSample_000004", "P_AtekDataSample_000005"],
        ["P_AtekDataSample_000006"],
    ]
    assert [r.samples for r in writer.records] == [3, 3, 1]


def test_remove_last_tar_if_not_full_drops_only_the_partial_last_shard(tmp_path: Path) -> None:
    with ShardWriter(tmp_path, max_samples_per_shard=2, remove_last_tar_if_not_full=True) as writer:
        for i in range(7):
            writer.write(tiny_sample(i))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "shards-0000.tar",
        "shards-0001.tar",
        "shards-0002.tar",
    ]
    last = list(iter_shard(tmp_path / "shards-0002.tar"))
    assert [s["__key__"] for s in last] == ["_AtekDataSample_000004", "_AtekDataSample_000005"]


def test_full_last_shard_is_kept(tmp_path: Path) -> None:
    with ShardWriter(tmp_path, max_samples_per_shard=2, remove_last_tar_if_not_full=True) as writer:
        for i in range(4):
            writer.write(tiny_sample(i))
    assert len(list(tmp_path.glob("*.tar"))) == 2


def test_zero_samples_write_nothing(tmp_path: Path) -> None:
    with ShardWriter(tmp_path / "out"):
        pass
    assert not (tmp_path / "out").exists()


def test_a_shard_is_invisible_until_complete(tmp_path: Path) -> None:
    writer = ShardWriter(tmp_path, max_samples_per_shard=2)
    writer.write(tiny_sample(0))
    assert list(tmp_path.glob("*.tar")) == []  # only the hidden temporary file exists
    writer.write(tiny_sample(1))
    writer.write(tiny_sample(2))  # starts shard 1, so shard 0 is complete
    assert [p.name for p in tmp_path.glob("*.tar")] == ["shards-0000.tar"]
    writer.close()
    assert sorted(p.name for p in tmp_path.glob("*.tar")) == ["shards-0000.tar", "shards-0001.tar"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shards-0000.tar", "shards-0001.tar"]


def test_an_error_leaves_no_partial_shard(tmp_path: Path) -> None:
    def write_then_fail() -> None:
        with ShardWriter(tmp_path, max_samples_per_shard=5) as writer:
            writer.write(tiny_sample(0))
            raise RuntimeError("preprocessing failed")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert list(tmp_path.iterdir()) == []


def test_records_carry_size_and_sha1_of_the_file(tmp_path: Path) -> None:
    import hashlib

    with ShardWriter(tmp_path, max_samples_per_shard=2) as writer:
        for i in range(3):
            writer.write(tiny_sample(i))
    for record in writer.records:
        data = record.path.read_bytes()
        assert record.size == len(data)
        assert record.sha1 == hashlib.sha1(data).hexdigest()


def test_shards_are_reproducible_byte_for_byte(tmp_path: Path) -> None:
    for name in ("a", "b"):
        with ShardWriter(tmp_path / name, max_samples_per_shard=4) as writer:
            for i in range(3):
                writer.write(tiny_sample(i))
    assert (tmp_path / "a" / "shards-0000.tar").read_bytes() == (
        tmp_path / "b" / "shards-0000.tar"
    ).read_bytes()


def test_members_are_plain_posix_tar(tmp_path: Path) -> None:
    with ShardWriter(tmp_path, prefix="P") as writer:
        writer.write(tiny_sample(0))
    with tarfile.open(tmp_path / "shards-0000.tar") as tar:
        names = tar.getnames()
    assert names == sorted(names)
    assert "P_AtekDataSample_000000.mfcd#camera-rgb+images_0.jpeg" in names


@given(
    prefix=st.text(alphabet="abcXYZ019_-", max_size=20),
    index=st.integers(min_value=0, max_value=10**7),
    key=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_#+-", min_size=1, max_size=40),
    ext=st.sampled_from(["jpeg", "pth", "txt", "json"]),
)
def test_key_grammar_parses_what_the_writer_emits(prefix: str, index: int, key: str, ext: str) -> None:
    name = f"{sample_key(prefix, index)}.{key}.{ext}"
    parts = split_member_name(name)
    assert parts is not None
    assert parse_sample_key(parts.sample_key) == (prefix, index)
    assert parts.key == key
    assert parts.extension == ext
