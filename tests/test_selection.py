"""Selection and split: identical to the original's rule; the stable rule stays put as names are added."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atek_store.errors import UsageError
from atek_store.selection import (
    SplitSpec,
    load_split_json,
    make_selection,
    select_sequences,
    split_by_spec,
    stable_split_value,
)

FIVE = ["seq_a", "seq_b", "seq_c", "seq_d", "seq_e"]
TEN = [f"seq_{i:02d}" for i in range(10)]


def original_rule(
    names: list[str], seed: int, k: int | None, ratio: float
) -> tuple[list[str], list[str], list[str]]:
    """The original downloader's steps, written out independently with the global ``random``."""
    state = random.getstate()
    try:
        ordered = sorted(names)
        random.seed(seed)
        random.shuffle(ordered)
    finally:
        random.setstate(state)
    if k is not None and k > 0:
        ordered = ordered[:k]
    cut = int(len(ordered) * ratio)
    return ordered, ordered[:cut], ordered[cut:]


@pytest.mark.parametrize(
    ("names", "seed", "expected"),
    [
        (FIVE, 42, ["seq_d", "seq_b", "seq_c", "seq_e", "seq_a"]),
        (FIVE, 0, ["seq_c", "seq_b", "seq_a", "seq_e", "seq_d"]),
        (TEN, 42, [f"seq_{i:02d}" for i in (7, 3, 2, 8, 5, 6, 9, 4, 0, 1)]),
        (TEN, 0, [f"seq_{i:02d}" for i in (7, 8, 1, 5, 3, 4, 2, 0, 9, 6)]),
        (TEN, 1, [f"seq_{i:02d}" for i in (6, 8, 9, 7, 5, 3, 0, 4, 1, 2)]),
    ],
)
def test_matches_the_originals_test_vectors(names: list[str], seed: int, expected: list[str]) -> None:
    assert select_sequences(reversed(names), seed=seed) == expected


def test_matches_the_originals_observed_splits() -> None:
    selection = make_selection(FIVE, seed=42, ratio=0.9)
    assert set(selection.train) == {"seq_b", "seq_c", "seq_d", "seq_e"}
    assert selection.validation == ("seq_a",)
    selection = make_selection(FIVE, seed=42, max_num_sequences=4, ratio=0.5)
    assert set(selection.train) == {"seq_d", "seq_b"}
    assert set(selection.validation) == {"seq_c", "seq_e"}


def test_one_sequence_goes_to_validation_as_in_the_original() -> None:
    selection = make_selection(["only"], seed=42, ratio=0.9)
    assert selection.train == ()
    assert selection.validation == ("only",)


def test_selection_does_not_touch_global_random_state() -> None:
    random.seed(7)
    before = random.getstate()
    make_selection(TEN, seed=3)
    assert random.getstate() == before


@settings(max_examples=200, deadline=None)
@given(
    names=st.lists(st.text(min_size=1, max_size=12), unique=True, max_size=40),
    seed=st.integers(min_value=-(2**40), max_value=2**40),
    k=st.one_of(st.none(), st.integers(min_value=-3, max_value=45)),
    ratio=st.floats(min_value=0.0, max_value=1.0),
)
def test_selection_and_split_equal_an_independent_implementation(
    names: list[str], seed: int, k: int | None, ratio: float
) -> None:
    selected, train, validation = original_rule(names, seed, k, ratio)
    selection = make_selection(names, seed=seed, max_num_sequences=k, ratio=ratio)
    assert list(selection.selected) == selected
    assert list(selection.train) == train
    assert list(selection.validation) == validation


@settings(max_examples=100, deadline=None)
@given(
    names=st.lists(st.text(min_size=1, max_size=8), unique=True, max_size=30),
    seed=st.integers(0, 1000),
    ratio=st.floats(0.0, 1.0),
    stable=st.booleans(),
)
def test_split_is_a_partition_of_the_selection(
    names: list[str], seed: int, ratio: float, stable: bool
) -> None:
    selection = make_selection(names, seed=seed, ratio=ratio, stable=stable)
    assert set(selection.train) | set(selection.validation) == set(selection.selected)
    assert not set(selection.train) & set(selection.validation)
    assert len(selection.all) == len(selection.selected)


@settings(max_examples=100, deadline=None)
@given(
    names=st.lists(st.text(min_size=1, max_size=8), unique=True, min_size=1, max_size=30),
    added=st.lists(st.text(min_size=1, max_size=8), unique=True, max_size=10),
    seed=st.integers(0, 1000),
    ratio=st.floats(0.0, 1.0),
)
def test_stable_rule_keeps_each_sequence_on_its_side_when_the_store_grows(
    names: list[str], added: list[str], seed: int, ratio: float
) -> None:
    before = make_selection(names, seed=seed, ratio=ratio, stable=True)
    after = make_selection(names + added, seed=seed, ratio=ratio, stable=True)
    assert set(before.train) <= set(after.train)
    assert set(before.validation) <= set(after.validation)
    for name in before.train:
        assert stable_split_value(seed, name) < ratio


@settings(max_examples=100, deadline=None)
@given(
    names=st.lists(st.text(min_size=1, max_size=8), unique=True, min_size=1, max_size=30),
    added=st.lists(st.text(min_size=1, max_size=8), unique=True, max_size=10),
    seed=st.integers(0, 1000),
    k=st.integers(1, 10),
)
def test_stable_subset_only_changes_for_names_that_rank_higher(
    names: list[str], added: list[str], seed: int, k: int
) -> None:
    before = select_sequences(names, seed=seed, max_num_sequences=k, stable=True)
    after = select_sequences(names + added, seed=seed, max_num_sequences=k, stable=True)
    newcomers = [name for name in after if name not in names]
    # Old names keep their relative order; only newcomers ranking above can push some out.
    assert [name for name in after if name in names] == before[: k - len(newcomers)]


def test_split_json_keeps_its_order_and_the_selection() -> None:
    spec = SplitSpec(train=("seq_c", "seq_a", "ghost"), validation=("seq_e",), source="split.json")
    split = split_by_spec(["seq_a", "seq_b", "seq_c", "seq_e"], spec)
    train, validation = split.train, split.validation
    assert train == ("seq_c", "seq_a")
    assert validation == ("seq_e",)


def test_split_json_with_overlap_is_refused() -> None:
    spec = SplitSpec(train=("seq_a",), validation=("seq_a",), source="split.json")
    with pytest.raises(UsageError, match="split.json.*both.*seq_a"):
        split_by_spec(["seq_a"], spec)


def test_split_json_replaces_the_ratio(tmp_path: Path) -> None:
    path = tmp_path / "split.json"
    path.write_text(json.dumps({"train_sequences": ["seq_a", "seq_b"], "val_sequences": ["seq_d"]}))
    selection = make_selection(FIVE, seed=42, ratio=0.0, split=load_split_json(path))
    assert selection.train == ("seq_a", "seq_b")
    assert selection.validation == ("seq_d",)
    assert selection.split_source == str(path)


@pytest.mark.parametrize(
    "content", ['{"train_sequences": []}', '{"train_sequences": [], "val_sequences": [1]}', "nope", "[]"]
)
def test_bad_split_json_is_a_usage_error_naming_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "split.json"
    path.write_text(content)
    with pytest.raises(UsageError, match="split.json"):
        load_split_json(path)


@pytest.mark.parametrize("ratio", [-0.1, 1.5, float("nan")])
def test_ratio_outside_zero_one_is_refused(ratio: float) -> None:
    with pytest.raises(UsageError, match="--train-val-split-ratio"):
        make_selection(FIVE, ratio=ratio)


@pytest.mark.parametrize("k", [None, 0, -1])
def test_absent_zero_or_negative_k_means_all(k: int | None) -> None:
    assert len(select_sequences(TEN, seed=1, max_num_sequences=k)) == 10
