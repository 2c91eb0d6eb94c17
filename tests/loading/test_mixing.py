"""Weighted mixing: exact per-source counts per epoch, seeded, resumable (also on another topology)."""

from __future__ import annotations

import itertools
import json
import math
from collections import Counter
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atek_store import create_native_atek_dataloader
from atek_store.errors import LoaderError, UsageError
from atek_store.loading import Mixture
from atek_store.loading.mixing import reader_quotas
from tests.loading.test_elastic import run_phase
from tests.loading.test_resume import ident

WEIGHTS = {"adt": 1.0, "ase": 3.0}
EPOCH = 30


def _mixture(urls: list[str], epoch_size: int = EPOCH) -> Mixture:
    return Mixture.of({"adt": urls[:4], "ase": urls[4:]}, weights=WEIGHTS, epoch_size=epoch_size)


def _source_counts(pairs: list[Any], urls: list[str]) -> Counter[str]:
    return Counter("adt" if url in urls[:4] else "ase" for url, _ in pairs)


def test_quotas_follow_the_weights_and_add_up_to_the_epoch() -> None:
    mixture = Mixture.of(
        {"a": ["a.tar"], "b": ["b.tar"], "c": ["c.tar"]}, weights={"a": 1, "b": 1, "c": 1}, epoch_size=10
    )
    assert mixture.quotas() == (4, 3, 3)
    assert sum(_mixture(["x.tar"] * 12, 1001).quotas()) == 1001


@pytest.mark.parametrize("num_workers", [0, 2])
def test_an_epoch_holds_each_source_in_its_proportion_exactly(
    small_urls: list[str], num_workers: int
) -> None:
    mixture = _mixture(small_urls)
    loader = create_native_atek_dataloader(mixture, shuffle_flag=True, seed=2, num_workers=num_workers)
    epochs = []
    for epoch in range(2):
        loader.set_epoch(epoch)
        epochs.append([ident(sample) for sample in loader])
        counts = _source_counts(epochs[-1], small_urls)
        total = sum(WEIGHTS.values())
        for name, weight in WEIGHTS.items():  # the stated tolerance: under one sample per source
            assert abs(counts[name] - weight / total * EPOCH) < 1
        assert loader.progress().samples == {"adt": counts["adt"], "ase": counts["ase"]}
    adt = Counter(pair for pair in epochs[0] if pair[0] in small_urls[:4])
    assert len(adt) == 8  # the small source is read whole before any of it repeats
    assert (
        sorted(adt.values()) == [1] * 7 + [1]
        and sum(adt.values()) == 8
        or max(adt.values()) - min(adt.values()) <= 1
    )
    assert epochs[0] != epochs[1]
    assert sorted(epochs[0]) != sorted(epochs[1])  # the big source gives another seeded subset


def test_the_same_seed_gives_the_same_mixed_epoch(small_urls: list[str]) -> None:
    def run(seed: int) -> list[Any]:
        return [
            ident(s)
            for s in create_native_atek_dataloader(_mixture(small_urls), shuffle_flag=True, seed=seed)
        ]

    assert run(4) == run(4)
    assert run(4) != run(5)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_a_mixed_epoch_resumes_exactly_on_the_same_topology(small_urls: list[str], num_workers: int) -> None:
    def make() -> Any:
        return create_native_atek_dataloader(
            _mixture(small_urls), shuffle_flag=True, seed=1, num_workers=num_workers
        )

    full = [ident(s) for s in make()]
    interrupted = make()
    head = [ident(s) for s in itertools.islice(interrupted, 11)]
    resumed = make()
    resumed.load_state_dict(json.loads(json.dumps(interrupted.state_dict())))
    assert head + [ident(s) for s in resumed] == full


def test_a_mixed_epoch_resumes_on_another_topology_with_exact_counts(
    monkeypatch: pytest.MonkeyPatch, small_urls: list[str]
) -> None:
    mixture = _mixture(small_urls, epoch_size=40)
    head, state = run_phase(monkeypatch, mixture, 2, 1, stop=7, state=None)
    rest, _ = run_phase(monkeypatch, mixture, 1, 2, stop=None, state=state)
    pairs = [pair for rank in head + rest for pair in rank]
    assert _source_counts(pairs, small_urls) == {"adt": 10, "ase": 30}
    # The rest of each quota is split evenly over the new readers, whatever is left of their parts:
    # the counts stay exact, the use of a small source's samples may be uneven in this one epoch.
    assert max(Counter(pairs).values()) <= 3


@pytest.mark.parametrize(
    ("sources", "weights", "epoch_size", "match"),
    [
        ({}, {}, 10, "at least one"),
        ({"a": ["a.tar"]}, {"b": 1}, 10, r"no weight for \['a'\]; weights for unknown \['b'\]"),
        ({"a": ["a.tar"]}, {"a": 0}, 10, "positive number"),
        ({"a": ["a.tar"]}, {"a": math.nan}, 10, "positive number"),
        ({"a": ["a.tar"]}, {"a": 1}, 0, "epoch_size"),
        ({"a": ["a.tar"], "b": ["b.tar"]}, {"a": 1, "b": 1000}, 100, r"\['a'\] get no sample"),
        ({"a": []}, {"a": 1}, 10, "empty"),
    ],
)
def test_inconsistent_mixtures_are_refused_clearly(
    sources: dict[str, list[str]], weights: dict[str, float], epoch_size: int, match: str
) -> None:
    with pytest.raises(UsageError, match=match):
        Mixture.of(sources, weights=weights, epoch_size=epoch_size)


def test_a_mixture_refuses_a_nodesplitter_and_a_state_of_other_weights(small_urls: list[str]) -> None:
    with pytest.raises(UsageError, match="nodesplitter"):
        create_native_atek_dataloader(_mixture(small_urls), nodesplitter=lambda urls: urls)
    loader = create_native_atek_dataloader(_mixture(small_urls))
    next(iter(loader))
    other = Mixture.of(
        {"adt": small_urls[:4], "ase": small_urls[4:]}, weights={"adt": 1, "ase": 1}, epoch_size=EPOCH
    )
    with pytest.raises(LoaderError, match="mixture"):
        create_native_atek_dataloader(other).load_state_dict(loader.state_dict())


@given(
    weights=st.lists(st.floats(0.01, 100.0), min_size=1, max_size=6),
    epoch_size=st.integers(1, 10_000),
    readers=st.integers(1, 17),
)
def test_quotas_add_up_and_split_evenly_over_readers(
    weights: list[float], epoch_size: int, readers: int
) -> None:
    mixture = Mixture(
        tuple(f"s{i}" for i in range(len(weights))), (("x.tar",),) * len(weights), tuple(weights), epoch_size
    )
    quotas = mixture.quotas()
    assert sum(quotas) == epoch_size
    for quota, weight in zip(quotas, weights, strict=True):
        assert abs(quota - weight / sum(weights) * epoch_size) < 1
    shares = [reader_quotas(quotas, readers=readers, reader=r) for r in range(readers)]
    assert [sum(column) for column in zip(*shares, strict=True)] == list(quotas)
    totals = [sum(share) for share in shares]
    assert max(totals) - min(totals) <= 1
