"""Every shard is read by exactly one (rank, worker) per epoch; splits and URL lists behave."""

from __future__ import annotations

import warnings
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atek_store.errors import ShardSplitWarning, UsageError
from atek_store.loading.shards import (
    Topology,
    current_rank_world,
    expand_urls,
    reader_shards,
    warn_if_idle_readers,
)


@given(
    shards=st.integers(1, 40),
    world=st.integers(1, 5),
    workers=st.integers(1, 4),
    seed=st.integers(0, 2**32),
    epoch=st.integers(0, 50),
    shuffle=st.booleans(),
)
def test_rank_worker_assignment_is_a_partition(
    shards: int, world: int, workers: int, seed: int, epoch: int, shuffle: bool
) -> None:
    urls = [f"seq{i % 3}/shards-{i:04d}.tar" for i in range(shards)]
    counts: Counter[str] = Counter()
    for rank in range(world):
        for stream in range(workers):
            counts.update(
                reader_shards(
                    urls, Topology(rank, world, stream, workers), seed=seed, epoch=epoch, shuffle=shuffle
                )
            )
    assert counts == Counter(urls)


def test_shard_order_is_seeded_per_epoch_and_moves_shards_between_ranks() -> None:
    urls = [f"s{i}.tar" for i in range(32)]
    top = Topology(0, 2, 0, 1)
    first = reader_shards(urls, top, seed=5, epoch=0, shuffle=True)
    assert first == reader_shards(urls, top, seed=5, epoch=0, shuffle=True)
    assert first != reader_shards(urls, top, seed=5, epoch=1, shuffle=True)
    assert first != reader_shards(urls, top, seed=6, epoch=0, shuffle=True)
    # the permutation comes before the split: rank 0 does not keep the same subset
    assert set(first) != set(reader_shards(urls, top, seed=5, epoch=1, shuffle=True))
    assert reader_shards(urls, top, seed=5, epoch=3, shuffle=False) == urls[0::2]


def test_nodesplitter_replaces_the_rank_split() -> None:
    urls = [f"s{i}.tar" for i in range(6)]

    def last_two(src: object) -> list[dict[str, str]]:
        return [{"url": url} for url in list(src)[-2:]]  # type: ignore[call-overload]

    top = Topology(1, 4, 0, 1)
    assert reader_shards(urls, top, seed=0, epoch=0, shuffle=False, nodesplitter=last_two) == urls[-2:]


def test_braces_expand_like_webdataset() -> None:
    assert expand_urls("a/shards-{0000..0002}.tar") == [f"a/shards-000{i}.tar" for i in range(3)]
    assert expand_urls("{x,y}/s-{1..2}.tar") == ["x/s-1.tar", "x/s-2.tar", "y/s-1.tar", "y/s-2.tar"]
    assert expand_urls(["b.tar", "a.tar"]) == ["b.tar", "a.tar"]
    with pytest.raises(UsageError, match="empty"):
        expand_urls([])
    with pytest.raises(UsageError, match="strings or paths"):
        expand_urls([3])  # type: ignore[list-item]


def test_fewer_shards_than_readers_warns_clearly() -> None:
    with pytest.warns(ShardSplitWarning, match=r"3 shard\(s\) for 4 readers \(2 rank\(s\) x 2 worker\(s\)\)"):
        warn_if_idle_readers(["a", "b", "c"], world_size=2, num_workers=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_idle_readers(["a", "b", "c", "d"], world_size=2, num_workers=2)


def test_rank_and_world_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("WORLD_SIZE", "4")
    assert current_rank_world() == (3, 4)
    monkeypatch.delenv("RANK")
    monkeypatch.delenv("WORLD_SIZE")
    assert current_rank_world() == (0, 1)
    monkeypatch.setenv("RANK", "zero")
    with pytest.raises(UsageError, match="RANK"):
        current_rank_world()


def test_topology_refuses_a_rank_outside_the_world() -> None:
    with pytest.raises(UsageError, match="RANK and WORLD_SIZE"):
        Topology(2, 2, 0, 1)
