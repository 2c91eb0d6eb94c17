"""Elastic resume at the lane level: however often the topology changes mid-epoch, every sample once.

Readers of one topology each take a prefix of their part; their positions become a layer; the
next topology's readers take what no layer covers. Hypothesis draws the shard sizes, the
topologies and where every reader stops.
"""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atek_store.format import ShardWriter
from atek_store.loading.handler import ErrorPolicy
from atek_store.loading.ledger import EpochLedger, Layer, ReaderProgress
from atek_store.loading.order import RoundOrder
from atek_store.loading.partition import RoundRobin
from atek_store.loading.stages.lane import Lane
from atek_store.sources import ShardOpener

SIZES = [3, 1, 5, 2, 4, 1, 3, 2, 5, 1]  # samples per shard: uneven, as real stores' last shards are


@pytest.fixture(scope="module")
def uneven_urls(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    root = tmp_path_factory.mktemp("uneven")
    urls = []
    for shard, size in enumerate(SIZES):
        with ShardWriter(root / f"seq{shard}", prefix=f"s{shard}", max_samples_per_shard=size) as writer:
            for _ in range(size):
                writer.write({"sequence_name": f"seq{shard}"})
        urls.append(str(root / f"seq{shard}" / "shards-0000.tar"))
    return urls


def _lane(urls: list[str], order: RoundOrder, readers: int, reader: int, layers: tuple[Layer, ...]) -> Lane:
    lane = Lane(
        source=0,
        urls=tuple(urls),
        order=order,
        partition=RoundRobin(readers),
        reader=reader,
        ledger=EpochLedger(layers, (order,)),
        opener=ShardOpener(),
        policy=ErrorPolicy(None),
        rounds=1,
    )
    lane.reset(None)
    return lane


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    shuffle=st.booleans(),
    window=st.integers(1, 4),
    epoch=st.integers(0, 3),
    topologies=st.lists(st.integers(1, 6), min_size=1, max_size=4),
    data=st.data(),
)
def test_every_sample_is_taken_once_however_the_topology_changes(
    uneven_urls: list[str], shuffle: bool, window: int, epoch: int, topologies: list[int], data: st.DataObject
) -> None:
    order = RoundOrder(num_shards=len(uneven_urls), seed=11, shuffle=shuffle, window=window, scope=(epoch,))
    layers: tuple[Layer, ...] = ()
    taken: Counter[tuple[str, str]] = Counter()
    for phase, readers in enumerate([*topologies, 3]):  # the last topology reads to the end
        last = phase == len(topologies)
        entries = []
        for reader in range(readers):
            lane = _lane(uneven_urls, order, readers, reader, layers)
            stop = None if last else data.draw(st.integers(0, 8), label=f"stop {phase}/{reader}")
            items = list(itertools.islice(lane, stop))
            if stop is None:
                assert next(lane, None) is None
            taken.update((sample.origin.url, sample.raw.key) for _, sample in items)
            entries.append(ReaderProgress((lane.position,)) if items or stop is None else None)
            lane.close()
        layers = (*layers, Layer(readers, tuple(entries)))
    assert sum(taken.values()) == sum(SIZES)
    assert set(taken.values()) == {1}


def test_a_reader_yields_its_part_in_the_global_order(uneven_urls: list[str]) -> None:
    """Each reader's items are the global order (one reader) restricted to its shards."""
    order = RoundOrder(num_shards=len(uneven_urls), seed=2, shuffle=True, window=3, scope=(0,))
    whole = [sample_id for sample_id, _ in _lane(uneven_urls, order, 1, 0, ())]
    for readers in (2, 3, 4):
        for reader in range(readers):
            mine = [sample_id for sample_id, _ in _lane(uneven_urls, order, readers, reader, ())]
            assert mine == [s for s in whole if s[1] % readers == reader]


def test_shuffled_windows_mix_shards_and_differ_per_epoch(uneven_urls: list[str]) -> None:
    def urls_in_order(epoch: int) -> list[str]:
        order = RoundOrder(num_shards=len(uneven_urls), seed=2, shuffle=True, window=4, scope=(epoch,))
        return [sample.origin.url for _, sample in _lane(uneven_urls, order, 1, 0, ())]

    first = urls_in_order(0)
    changes = sum(a != b for a, b in itertools.pairwise(first))
    assert changes > len(SIZES)  # samples of a window's shards are interleaved, not shard after shard
    assert first != urls_in_order(1)
    assert Counter(first) == Counter(urls_in_order(1))


def test_shards_an_earlier_topology_took_whole_are_never_opened(
    uneven_urls: list[str], tmp_path: Path
) -> None:
    order = RoundOrder(num_shards=len(uneven_urls), seed=0, shuffle=False, window=1, scope=(0,))
    first = _lane(uneven_urls, order, 1, 0, ())
    list(itertools.islice(first, 6))  # shards 0 and 1 whole (3 + 1), then 2 of shard 2's 5
    layer = Layer(1, (ReaderProgress((first.position,)),))
    moved = [str(tmp_path / f"gone{i}.tar") for i in range(2)] + uneven_urls[2:]  # shards 0, 1 vanish
    rest = [sample.raw.key for _, sample in _lane(moved, order, 2, 0, (layer,))]
    rest += [sample.raw.key for _, sample in _lane(moved, order, 2, 1, (layer,))]
    assert len(rest) == sum(SIZES) - 6
