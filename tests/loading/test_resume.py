"""Seeded order, per-epoch order, and exact mid-epoch resume from state_dict()."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from atek_store import create_native_atek_dataloader, load_atek_wds_dataset, simple_list_collation_fn
from atek_store.errors import LoaderError
from atek_store.loading import merge_loader_states

SMALL_BUFFER = {"shuffle_window": 4}


def ident(item: Any) -> Any:
    if isinstance(item, list):  # a batch from simple_list_collation_fn
        return tuple(ident(sample) for sample in item)
    return (item["__url__"], item["__key__"])


def ids(items: Any) -> list[Any]:
    return [ident(item) for item in items]


def test_same_seed_gives_the_same_order_twice(small_urls: list[str]) -> None:
    first = ids(load_atek_wds_dataset(small_urls, shuffle_flag=True, seed=3, **SMALL_BUFFER))
    second = ids(load_atek_wds_dataset(small_urls, shuffle_flag=True, seed=3, **SMALL_BUFFER))
    other_seed = ids(load_atek_wds_dataset(small_urls, shuffle_flag=True, seed=4, **SMALL_BUFFER))
    plain = ids(load_atek_wds_dataset(small_urls))
    assert first == second
    assert first != other_seed
    assert first != plain
    assert sorted(first) == sorted(plain)
    assert len(set(plain)) == 24


def test_each_epoch_has_its_own_order(small_urls: list[str]) -> None:
    loader = create_native_atek_dataloader(
        small_urls, shuffle_flag=True, seed=3, num_workers=2, **SMALL_BUFFER
    )
    orders = []
    for epoch in range(3):
        loader.set_epoch(epoch)
        orders.append(ids(loader))
    assert len({tuple(order) for order in orders}) == 3
    assert all(sorted(order) == sorted(orders[0]) for order in orders)
    loader.set_epoch(1)
    assert ids(loader) == orders[1]


@pytest.mark.parametrize("num_workers", [0, 2])
@pytest.mark.parametrize("batch_size", [None, 3])
@pytest.mark.parametrize("stop_after", [0, 1, 5, 7])
def test_resume_yields_exactly_the_remaining_items(
    small_urls: list[str], num_workers: int, batch_size: int | None, stop_after: int
) -> None:
    def make() -> Any:
        return create_native_atek_dataloader(
            small_urls,
            collation_fn=simple_list_collation_fn,
            batch_size=batch_size,
            shuffle_flag=True,
            num_workers=num_workers,
            seed=11,
            **SMALL_BUFFER,
        )

    full = ids(make())
    interrupted = make()
    interrupted.set_epoch(0)
    head = ids(itertools.islice(interrupted, stop_after))
    state = json.loads(json.dumps(interrupted.state_dict()))  # plain values: goes into any checkpoint
    resumed = make()
    resumed.load_state_dict(state)
    rest = ids(resumed)
    assert head + rest == full


def test_resume_without_a_dataloader(small_urls: list[str]) -> None:
    full = ids(load_atek_wds_dataset(small_urls, shuffle_flag=True, seed=2, **SMALL_BUFFER))
    dataset = load_atek_wds_dataset(small_urls, shuffle_flag=True, seed=2, **SMALL_BUFFER)
    head = ids(itertools.islice(iter(dataset), 9))
    again = load_atek_wds_dataset(small_urls, shuffle_flag=True, seed=2, **SMALL_BUFFER)
    again.load_state_dict(dataset.state_dict())
    assert head + ids(again) == full
    # a new pass without a loaded state starts the epoch over
    assert ids(again) == full


def test_resume_in_a_later_epoch_and_across_repeats(small_urls: list[str]) -> None:
    def make() -> Any:
        loader = create_native_atek_dataloader(
            small_urls[:4], repeat_flag=True, shuffle_flag=True, num_workers=2, seed=1, **SMALL_BUFFER
        )
        loader.set_epoch(5)
        return loader

    full = ids(itertools.islice(make(), 30))  # 8 samples per epoch: several epochs
    assert len(set(full)) == 8
    interrupted = make()
    head = ids(itertools.islice(interrupted, 13))
    resumed = make()
    resumed.load_state_dict(interrupted.state_dict())
    assert head + ids(itertools.islice(resumed, 17)) == full


def test_a_state_only_fits_the_same_seed_shards_and_shuffle(small_urls: list[str]) -> None:
    loader = create_native_atek_dataloader(small_urls, shuffle_flag=True, seed=1, num_workers=2)
    next(iter(loader))
    state = loader.state_dict()
    with pytest.raises(LoaderError, match="seed"):
        create_native_atek_dataloader(small_urls, shuffle_flag=True, seed=2).load_state_dict(state)
    with pytest.raises(LoaderError, match="shard list"):
        create_native_atek_dataloader(small_urls[1:], shuffle_flag=True, seed=1).load_state_dict(state)
    with pytest.raises(LoaderError, match="shuffle_window"):
        create_native_atek_dataloader(
            small_urls, shuffle_flag=True, seed=1, shuffle_window=3
        ).load_state_dict(state)
    with pytest.raises(LoaderError, match="not a loader state of this version"):
        loader.load_state_dict({"epoch": 3})
    with pytest.raises(LoaderError, match="not a loader state of this version"):
        loader.load_state_dict({**state, "format": "atek-store/loader-state/1"})


def test_a_malformed_state_is_refused_with_a_short_message(small_urls: list[str]) -> None:
    loader = create_native_atek_dataloader(small_urls, shuffle_flag=True, seed=1, num_workers=2)
    next(iter(loader))
    state = loader.state_dict()
    readers = state["readers"]
    bad = {**state, "readers": {**readers, "states": readers["states"] * 500}}
    with pytest.raises(LoaderError, match="malformed readers") as caught:
        loader.load_state_dict(bad)
    assert len(str(caught.value)) < 300  # counts, not the thousand reader states
    with pytest.raises(LoaderError, match="malformed loader state"):
        merge_loader_states([{"format": state["format"], "epoch": 0}])


def test_state_before_any_pass_starts_the_epoch(small_urls: list[str]) -> None:
    dataset = load_atek_wds_dataset(small_urls, shuffle_flag=True, seed=1)
    dataset.set_epoch(4)
    state = dataset.state_dict()
    fresh = load_atek_wds_dataset(small_urls, shuffle_flag=True, seed=1)
    fresh.load_state_dict(state)
    assert fresh.epoch == 4
    assert ids(fresh) == ids(dataset)
