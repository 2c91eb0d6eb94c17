"""One shard's fetch: a .part cut anywhere resumes to the same sha1; bad bytes never become visible."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atek_store.download.fetch import PartialFile, fetch_once
from atek_store.download.transport import FileTransport
from atek_store.errors import IntegrityError
from atek_store.manifest import ShardEntry

CONTENT = bytes(range(256)) * 300  # 76,800 bytes


def shard_for(source: Path, content: bytes, sha1: str | None = None) -> ShardEntry:
    return ShardEntry(
        sequence="seq",
        key="shards-0000_tar",
        file_name="shards-0000.tar",
        sha1=sha1 or hashlib.sha1(content, usedforsecurity=False).hexdigest(),
        size=len(content),
        url=source.as_uri(),
    )


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=0, max_value=len(CONTENT)), chunk=st.sampled_from([1000, 4096, 1 << 20]))
def test_part_cut_at_any_offset_resumes_to_the_same_sha1(
    tmp_path_factory: pytest.TempPathFactory, cut: int, chunk: int
) -> None:
    folder = tmp_path_factory.mktemp("cut")
    source = folder / "source.tar"
    source.write_bytes(CONTENT)
    shard = shard_for(source, CONTENT)
    dest = folder / "seq" / "shards-0000.tar"
    dest.parent.mkdir()
    part_path = dest.with_name("shards-0000.tar.part")
    part_path.write_bytes(CONTENT[:cut])
    part = PartialFile(part_path, shard.size)
    seen: list[int] = []
    received = fetch_once(shard, dest, part, FileTransport(), chunk_size=chunk, on_bytes=seen.append)
    assert dest.read_bytes() == CONTENT
    assert not part_path.exists()
    assert received == len(CONTENT) - cut
    # The kept prefix was hashed once from disk; the rest while streaming: every byte exactly once.
    assert part.bytes_rehashed == cut
    assert part.bytes_hashed == len(CONTENT)
    assert sum(seen) == len(CONTENT)


def test_wrong_sha1_deletes_the_part_and_publishes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "source.tar"
    source.write_bytes(CONTENT)
    shard = shard_for(source, CONTENT, sha1="0" * 40)
    dest = tmp_path / "seq" / "shards-0000.tar"
    part = PartialFile(dest.with_name("shards-0000.tar.part"), shard.size)
    with pytest.raises(IntegrityError, match="does not match") as info:
        fetch_once(shard, dest, part, FileTransport())
    assert info.value.retryable
    assert not dest.exists()
    assert not part.path.exists()


def test_part_longer_than_the_shard_starts_over(tmp_path: Path) -> None:
    source = tmp_path / "source.tar"
    source.write_bytes(CONTENT)
    shard = shard_for(source, CONTENT)
    dest = tmp_path / "seq" / "shards-0000.tar"
    dest.parent.mkdir()
    part = PartialFile(dest.with_name("shards-0000.tar.part"), shard.size)
    part.path.write_bytes(CONTENT + b"extra")
    fetch_once(shard, dest, part, FileTransport())
    assert dest.read_bytes() == CONTENT
    assert part.bytes_rehashed == 0


def test_complete_part_is_verified_and_renamed_without_a_request(tmp_path: Path) -> None:
    shard = shard_for(tmp_path / "does-not-exist.tar", CONTENT)
    dest = tmp_path / "seq" / "shards-0000.tar"
    dest.parent.mkdir()
    part = PartialFile(dest.with_name("shards-0000.tar.part"), shard.size)
    part.path.write_bytes(CONTENT)
    assert fetch_once(shard, dest, part, FileTransport()) == 0
    assert dest.read_bytes() == CONTENT


def test_empty_shard_is_fetched(tmp_path: Path) -> None:
    source = tmp_path / "empty.tar"
    source.write_bytes(b"")
    shard = shard_for(source, b"")
    dest = tmp_path / "seq" / "shards-0000.tar"
    fetch_once(shard, dest, PartialFile(dest.with_name("shards-0000.tar.part"), 0), FileTransport())
    assert dest.read_bytes() == b""
