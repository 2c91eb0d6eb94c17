"""Every shard position is read by exactly one reader per round; topologies and URL lists behave."""

from __future__ import annotations

import warnings
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atek_store.errors import ShardSplitWarning, UsageError
from atek_store.loading.order import RoundOrder
from atek_store.loading.partition import (
    RoundRobin,
    SplitterPartition,
    Topology,
    current_rank_world,
    warn_if_idle_readers,
)
from atek_store.loading.shards import expand_urls


def _order(shards: int, *, shuffle: bool = False, epoch: int = 0) -> RoundOrder:
    return RoundOrder(num_shards=shards, seed=5, shuffle=shuffle, window=4, scope=(epoch,))


@given(
    shards=st.integers(1, 40), world=st.integers(1, 5), workers=st.integers(1, 4), round_=st.integers(0, 9)
)
def test_rank_worker_assignment_is_a_partition(shards: int, world: int, workers: int, round_: int) -> None:
    order = _order(shards)
    partition = RoundRobin(world * workers)
    counts: Counter[int] = Counter()
    for rank in range(world):
        for stream in range(workers):
            reader = Topology(rank, world, workers).reader(stream)
            owned = list(partition.owned(order, round_, reader))
            assert all(partition.owner(order, round_, p) == reader for p in owned)
            counts.update(owned)
    assert counts == Counter(range(shards))


def test_round_zero_is_the_familiar_rank_then_worker_split() -> None:
    order = _order(12)
    topology = Topology(1, 2, 3)  # rank 1 of 2, 3 workers
    owned = {stream: list(RoundRobin(6).owned(order, 0, topology.reader(stream))) for stream in range(3)}
    by_rank = list(range(12))[1::2]
    assert owned == {stream: by_rank[stream::3] for stream in range(3)}


def test_later_rounds_deal_on_so_every_reader_gets_shards_of_a_small_source() -> None:
    order = _order(2)
    partition = RoundRobin(5)
    got = {reader: sum(len(partition.owned(order, k, reader)) for k in range(5)) for reader in range(5)}
    assert got == dict.fromkeys(range(5), 2)


def test_shard_order_is_seeded_per_epoch() -> None:
    first = _order(32, shuffle=True).shards(0)
    assert first == _order(32, shuffle=True).shards(0)
    assert first != _order(32, shuffle=True, epoch=1).shards(0)
    assert first != _order(32, shuffle=True).shards(1)
    assert sorted(first) == list(range(32))
    assert _order(32).shards(3) == tuple(range(32))


def test_nodesplitter_replaces_the_rank_split() -> None:
    urls = tuple(f"s{i}.tar" for i in range(6))

    def last_two(src: object) -> list[dict[str, str]]:
        return [{"url": url} for url in list(src)[-2:]]  # type: ignore[call-overload]

    partition = SplitterPartition(last_two, urls, 1)
    assert list(partition.owned(_order(6), 0, 0)) == [4, 5]


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
        warn_if_idle_readers(["a", "b", "c"], world_size=2, workers=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_idle_readers(["a", "b", "c", "d"], world_size=2, workers=2)


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
        Topology(2, 2, 1)
