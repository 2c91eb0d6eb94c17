"""One shard's fetch: a .part cut anywhere resumes to the same sha1; bad bytes never become visible."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atek_store.download.fetch import PartialFile, ShardFetch
from atek_store.errors import IntegrityError, TransferError
from atek_store.http import (
    FileTransport,
    HandlerTransport,
    RetryPolicy,
    StallRule,
    StubRequest,
    StubResponse,
    Transport,
    answer_range,
)
from atek_store.manifest import ShardEntry

CONTENT = bytes(range(256)) * 300  # 76,800 bytes


def shard_for(source: Path, content: bytes, sha1: str | None = None, size: int | None = None) -> ShardEntry:
    return ShardEntry(
        sequence="seq",
        key="shards-0000_tar",
        file_name="shards-0000.tar",
        sha1=sha1 or hashlib.sha1(content, usedforsecurity=False).hexdigest(),
        size=len(content) if size is None else size,
        url=source.as_uri(),
    )


def fetch(shard: ShardEntry, dest: Path, transport: Transport, **kwargs: object) -> ShardFetch:
    part = PartialFile(dest.with_name(dest.name + ".part"), shard.size)
    waits: list[float] = []
    job = ShardFetch(
        shard, dest, part, transport, policy=RetryPolicy(), stall=StallRule(), sleep=waits.append, **kwargs
    )
    job.run()
    assert waits == []
    return job


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
    seen: list[int] = []
    job = fetch(shard, dest, FileTransport(), chunk_size=chunk, on_bytes=seen.append)
    assert dest.read_bytes() == CONTENT
    assert not part_path.exists()
    assert job.part.bytes_received == len(CONTENT) - cut
    # The kept prefix was hashed once from disk; the rest while streaming: every byte exactly once.
    assert job.part.bytes_rehashed == cut
    assert job.part.bytes_hashed == len(CONTENT)
    assert sum(seen) == len(CONTENT)


def test_a_wrong_sha1_on_two_fresh_transfers_fails_and_publishes_nothing(tmp_path: Path) -> None:
    transport = HandlerTransport(lambda request: answer_range(CONTENT, request))
    shard = shard_for(tmp_path / "source.tar", CONTENT, sha1="0" * 40)
    dest = tmp_path / "seq" / "shards-0000.tar"
    with pytest.raises(IntegrityError, match="on 2 fresh transfers") as info:
        fetch(shard, dest, transport)
    assert not info.value.retryable
    assert info.value.expected == "0" * 40
    assert len(transport.requests) == 2
    assert not dest.exists()
    assert not dest.with_name("shards-0000.tar.part").exists()


def test_a_broken_body_resumes_from_where_it_stopped(tmp_path: Path) -> None:
    def cut_once(request: StubRequest) -> StubResponse:
        if request.offset == 0:
            broke = TransferError("connection reset", retryable=True)
            return StubResponse(200, {"Content-Length": str(len(CONTENT))}, [CONTENT[:30_000]], broke)
        return answer_range(CONTENT, request)

    transport = HandlerTransport(cut_once)
    dest = tmp_path / "seq" / "shards-0000.tar"
    job = fetch(shard_for(tmp_path / "x", CONTENT), dest, transport)
    assert dest.read_bytes() == CONTENT
    assert [(r.offset, r.end) for r in transport.requests] == [(0, None), (30_000, None)]
    assert job.attempts == 2


def test_a_local_file_of_the_wrong_size_fails_at_once(tmp_path: Path) -> None:
    source = tmp_path / "source.tar"
    source.write_bytes(CONTENT)
    shard = shard_for(source, CONTENT, size=len(CONTENT) + 1)
    dest = tmp_path / "seq" / "shards-0000.tar"
    with pytest.raises(IntegrityError, match="76,800 bytes but the URL JSON promises 76,801"):
        fetch(shard, dest, FileTransport())
    assert not dest.with_name("shards-0000.tar.part").exists()


def test_part_longer_than_the_shard_starts_over(tmp_path: Path) -> None:
    source = tmp_path / "source.tar"
    source.write_bytes(CONTENT)
    dest = tmp_path / "seq" / "shards-0000.tar"
    dest.parent.mkdir()
    dest.with_name("shards-0000.tar.part").write_bytes(CONTENT + b"extra")
    job = fetch(shard_for(source, CONTENT), dest, FileTransport())
    assert dest.read_bytes() == CONTENT
    assert job.part.bytes_rehashed == 0


def test_complete_part_is_verified_and_renamed_without_a_request(tmp_path: Path) -> None:
    transport = HandlerTransport(lambda request: answer_range(CONTENT, request))
    dest = tmp_path / "seq" / "shards-0000.tar"
    dest.parent.mkdir()
    dest.with_name("shards-0000.tar.part").write_bytes(CONTENT)
    fetch(shard_for(tmp_path / "x", CONTENT), dest, transport)
    assert dest.read_bytes() == CONTENT
    assert transport.requests == []


def test_empty_shard_is_fetched(tmp_path: Path) -> None:
    source = tmp_path / "empty.tar"
    source.write_bytes(b"")
    dest = tmp_path / "seq" / "shards-0000.tar"
    fetch(shard_for(source, b""), dest, FileTransport())
    assert dest.read_bytes() == b""
