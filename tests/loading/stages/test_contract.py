"""Every stage keeps the contract: save the state after any item, restore it, and get the same rest.

In the style of torchdata.nodes' ``test/nodes/utils.py``: run a stage to the end (or a bound),
saving ``get_state()`` after every item; then, for every saved state, build a fresh stage,
``reset(state)``, and require exactly the items that followed it. States must survive JSON.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from atek_store.format.limits import ReadLimits
from atek_store.loading import Mixture, simple_list_collation_fn
from atek_store.loading.config import DatasetConfig
from atek_store.loading.handler import ErrorPolicy
from atek_store.loading.ledger import EpochLedger
from atek_store.loading.mixing import reader_quotas, schedule
from atek_store.loading.options import LoaderOptions
from atek_store.loading.partition import RoundRobin, Topology
from atek_store.loading.plan import PassPlan
from atek_store.loading.reader import build_reader, source_orders
from atek_store.loading.stages.base import Stage
from atek_store.loading.stages.batch import Batch
from atek_store.loading.stages.decode import Decode
from atek_store.loading.stages.lane import Lane
from atek_store.loading.stages.select import SelectKeys
from atek_store.loading.stages.source import EpochSource
from atek_store.loading.stages.transform import Transform
from atek_store.sources import ShardOpener, SourceSample

LIMIT = 40  # items taken from endless stages


def ident(item: Any) -> Any:
    if isinstance(item, tuple) and isinstance(item[1], SourceSample):  # a lane item
        return (item[0], item[1].origin.url, item[1].raw.key)
    if isinstance(item, SourceSample):
        return (item.origin.url, item.raw.key)
    if isinstance(item, list):
        return tuple(ident(part) for part in item)
    if isinstance(item, dict):
        return (item.get("__url__"), item.get("__key__"), item.get("n"))
    return item


def check_contract(make: Callable[[], Stage[Any]], *, limit: int = LIMIT) -> int:
    """Run the contract over ``make()``; returns how many items the stage gave (up to ``limit``)."""
    stage = make()
    stage.reset(None)
    items, states = [], []
    for item in itertools.islice(stage, limit):
        items.append(ident(item))
        states.append(json.loads(json.dumps(stage.get_state())))
    stage.close()
    assert items, "the stage under test gave nothing"
    for index, state in enumerate(states):
        restored = make()
        restored.reset(state)
        rest = [ident(item) for item in itertools.islice(restored, limit - index - 1)]
        restored.close()
        assert rest == items[index + 1 :], f"restored after item {index}"
    again = make()
    again.reset(None)
    assert [ident(item) for item in itertools.islice(again, limit)] == items  # reset(None) starts over
    return len(items)


def _lanes(
    urls: list[str], *, shuffle: bool, mixture: Mixture | None = None, readers: int = 1
) -> Callable[[], list[Lane]]:
    names, sources = (mixture.names, mixture.urls) if mixture else (("shards",), (tuple(urls),))
    config = DatasetConfig(
        names=names,
        sources=sources,
        mixture=mixture,
        shuffle=shuffle,
        options=LoaderOptions(seed=3, shuffle_window=3),
    )

    def make() -> list[Lane]:
        orders = source_orders(config, 2)
        return [
            Lane(
                source=index,
                urls=source,
                order=orders[index],
                partition=RoundRobin(readers),
                reader=0,
                ledger=EpochLedger((), orders),
                opener=ShardOpener(),
                policy=ErrorPolicy(None),
                rounds=None if mixture else 1,
            )
            for index, source in enumerate(sources)
        ]

    return make


@pytest.mark.parametrize("shuffle", [False, True])
def test_a_lane_keeps_the_contract(small_urls: list[str], shuffle: bool) -> None:
    make = _lanes(small_urls[:5], shuffle=shuffle)
    assert check_contract(lambda: make()[0]) == 10


def test_an_endless_lane_of_a_mixture_keeps_the_contract(small_urls: list[str]) -> None:
    mixture = Mixture.of({"a": small_urls[:2]}, weights={"a": 1}, epoch_size=30)
    make = _lanes(
        [], shuffle=True, mixture=mixture, readers=2
    )  # 2 shards dealt to 2 readers, round after round
    assert check_contract(lambda: make()[0], limit=13) == 13


def test_a_mixed_epoch_source_keeps_the_contract(small_urls: list[str]) -> None:
    mixture = Mixture.of({"a": small_urls[:2], "b": small_urls[4:9]}, weights={"a": 1, "b": 2}, epoch_size=21)
    make = _lanes([], shuffle=True, mixture=mixture)
    labels = schedule(reader_quotas(mixture.quotas(), readers=1, reader=0), random.Random(1))
    assert check_contract(lambda: EpochSource(make(), labels)) == 21


def _decoded(urls: list[str], **options: Any) -> Callable[[], Decode]:
    make = _lanes(urls, shuffle=True)

    def build() -> Decode:
        return Decode(
            EpochSource(make(), None),
            policy=ErrorPolicy(options.get("handler")),
            wanted=None,
            channels_last=False,
            limits=ReadLimits(),
        )

    return build


def test_decode_keeps_the_contract(small_urls: list[str]) -> None:
    assert check_contract(_decoded(small_urls[:3])) == 6


def test_select_keeps_the_contract(small_urls: list[str]) -> None:
    make = _decoded(small_urls[:3])
    assert check_contract(lambda: SelectKeys(make(), {"sequence_name": "seq"})) == 6


def test_transform_keeps_the_contract(small_urls: list[str]) -> None:
    make = _decoded(small_urls[:4])
    # A filter (it yields as soon as it has what an output needs, so its state is exact).
    assert 0 < check_contract(lambda: Transform(make(), _drop_some_keys)) < 8


def _drop_some_keys(samples: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for sample in samples:
        if not sample["__key__"].endswith(("1", "4", "7")):
            yield {"__url__": sample["__url__"], "__key__": sample["__key__"]}


@pytest.mark.parametrize("size", [1, 3])
def test_batch_keeps_the_contract(small_urls: list[str], size: int) -> None:
    make = _decoded(small_urls[:4])
    assert check_contract(lambda: Batch(make(), size, simple_list_collation_fn)) == -(-8 // size)


@pytest.mark.parametrize(("workers", "stream"), [(1, 0), (3, 2)])
def test_a_whole_repeating_reader_keeps_the_contract(
    small_urls: list[str], workers: int, stream: int
) -> None:
    config = DatasetConfig.plain(
        tuple(small_urls[:6]),
        repeat=True,
        shuffle=True,
        batch_size=2,
        collation_fn=simple_list_collation_fn,
        options=LoaderOptions(seed=1, shuffle_window=2),
    )
    plan = PassPlan(4, Topology(0, 1, workers))
    assert check_contract(lambda: build_reader(config, plan, stream, ShardOpener()), limit=14) == 14
