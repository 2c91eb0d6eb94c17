"""The shard cache: keys, atomic entries, LRU eviction under a cap, several processes at once."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atek_store.errors import CacheError
from atek_store.sources import ShardCache


def test_keys_use_host_and_full_path_but_not_the_query(tmp_path: Path) -> None:
    cache = ShardCache(tmp_path)
    a = cache.path_for("https://cdn.example.org/ase/seqA/shards-0000.tar?sig=1")
    b = cache.path_for("https://cdn.example.org/ase/seqB/shards-0000.tar?sig=1")
    assert a != b
    assert a == tmp_path / "cdn.example.org" / "ase" / "seqA" / "shards-0000.tar"
    assert cache.path_for("https://cdn.example.org/ase/seqA/shards-0000.tar?sig=2") == a
    assert cache.path_for("http://127.0.0.1:8080/x.tar") == tmp_path / "127.0.0.1_8080" / "x.tar"


@given(st.text(min_size=1, max_size=40))
def test_odd_paths_stay_inside_the_cache(tmp_path_factory: pytest.TempPathFactory, path: str) -> None:
    root = tmp_path_factory.getbasetemp() / "odd-cache"
    cache = ShardCache(root)
    target = cache.path_for("http://host/" + path).resolve()
    assert root.resolve() in target.parents
    assert target.name not in (".", "..", ".atek-cache.lock")


def test_an_entry_is_invisible_until_committed_and_abort_leaves_nothing(tmp_path: Path) -> None:
    cache = ShardCache(tmp_path)
    url = "http://h/seq/shards-0000.tar"
    entry = cache.writer(url)
    assert entry is not None
    entry.write(b"x" * 100)
    assert cache.lookup(url) is None
    entry.commit()
    path = cache.lookup(url)
    assert path is not None
    assert path.read_bytes() == b"x" * 100
    other = cache.writer("http://h/seq/shards-0001.tar")
    assert other is not None
    other.write(b"y")
    other.abort()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [
        ".atek-cache.lock",
        "shards-0000.tar",
    ]


def test_an_unusable_cache_folder_is_a_cache_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(CacheError, match="cannot create"):
        ShardCache(blocker / "cache")
    with pytest.raises(CacheError, match="positive"):
        ShardCache(tmp_path, max_bytes=0)


def _fill(root: str, worker: int, cap: int) -> None:
    cache = ShardCache(root, max_bytes=cap)
    for index in range(20):
        entry = cache.writer(f"http://h/w{worker}/shard-{index}.tar")
        assert entry is not None
        for _ in range(10):
            entry.write(bytes([worker]) * 100)
        entry.commit()


def test_several_processes_share_one_cache_under_its_cap(tmp_path: Path) -> None:
    cap = 10 * 1000
    context = multiprocessing.get_context("fork")
    procs = [context.Process(target=_fill, args=(str(tmp_path), w, cap)) for w in range(3)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    cache = ShardCache(tmp_path, max_bytes=cap)
    files = [p for p in tmp_path.rglob("*.tar")]
    assert 1 <= len(files) <= 10
    assert cache.usage() <= cap
    for path in files:  # every visible entry is complete and written by one process
        data = path.read_bytes()
        assert len(data) == 1000
        assert len(set(data)) == 1
    assert list(tmp_path.rglob("*.part")) == []
