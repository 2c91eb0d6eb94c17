"""Batches follow the original's collation rule: stack equal tensors, list everything else."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from atek_store import (
    atek_default_collation_fn,
    create_native_atek_dataloader,
    load_atek_wds_dataset,
    simple_list_collation_fn,
)
from atek_store.errors import LoaderError
from tests.loading.values import same


def test_equal_tensors_are_stacked_and_everything_else_is_listed() -> None:
    samples = [
        {
            "img": torch.zeros(2, 3),
            "n": torch.tensor([i]),
            "name": f"s{i}",
            "gt": {"a": i},
            "pts": [torch.ones(1)],
        }
        for i in range(3)
    ]
    batch = atek_default_collation_fn(samples)
    assert batch["img"].shape == (3, 2, 3)
    assert batch["n"].tolist() == [[0], [1], [2]]
    assert batch["name"] == ["s0", "s1", "s2"]
    assert batch["gt"] == [{"a": 0}, {"a": 1}, {"a": 2}]
    assert isinstance(batch["pts"], list)
    assert len(batch["pts"]) == 3


def test_tensors_of_different_shape_or_dtype_stay_a_list() -> None:
    shapes = atek_default_collation_fn([{"x": torch.zeros(2)}, {"x": torch.zeros(3)}])
    dtypes = atek_default_collation_fn([{"x": torch.zeros(2)}, {"x": torch.zeros(2, dtype=torch.int64)}])
    mixed = atek_default_collation_fn([{"x": torch.zeros(2)}, {"x": [0.0, 0.0]}])
    for batch in (shapes, dtypes, mixed):
        assert isinstance(batch["x"], list)
        assert len(batch["x"]) == 2


def test_empty_batch_is_an_empty_dict_and_keys_come_from_the_first_sample() -> None:
    assert atek_default_collation_fn([]) == {}
    batch = atek_default_collation_fn([{"a": 1}, {"a": 2, "b": 3}])
    assert batch == {"a": [1, 2]}
    with pytest.raises(LoaderError, match="'b'"):
        atek_default_collation_fn([{"a": 1, "b": 2}, {"a": 2, "__key__": "k1"}])


def test_simple_list_collation_returns_the_samples() -> None:
    samples = [{"a": 1}, {"b": 2}]
    assert simple_list_collation_fn(samples) == samples


@given(st.lists(st.lists(st.integers(1, 3), min_size=1, max_size=3), min_size=1, max_size=5))
def test_stacking_happens_exactly_when_all_shapes_agree(shapes: list[list[int]]) -> None:
    samples = [{"t": torch.zeros(shape)} for shape in shapes]
    batch = atek_default_collation_fn(samples)
    if all(shape == shapes[0] for shape in shapes):
        assert batch["t"].shape == (len(shapes), *shapes[0])
    else:
        assert [t.shape for t in batch["t"]] == [torch.Size(shape) for shape in shapes]


def test_batch_size_two_on_a_synthetic_store_follows_the_rule(small_urls: list[str]) -> None:
    singles = list(create_native_atek_dataloader(small_urls[:3]))
    batches = list(create_native_atek_dataloader(small_urls[:3], batch_size=2))
    assert len(singles) == 6
    assert [len(b["__key__"]) for b in batches] == [2, 2, 2]
    for index, batch in enumerate(batches):
        pair = singles[2 * index : 2 * index + 2]
        for key, value in batch.items():
            values = [sample[key] for sample in pair]
            if isinstance(values[0], torch.Tensor) and values[0].shape == values[1].shape:
                assert isinstance(value, torch.Tensor)
                assert torch.equal(value, torch.stack(values)), key
            else:
                assert same(value, values), key
        assert batch["mfcd#camera-rgb+images"].shape == (2, 1, 3, 48, 64)
        assert isinstance(batch["gt_data"], list)
        assert isinstance(batch["gt_data"][0], dict)


def test_partial_last_batch_is_kept(small_urls: list[str]) -> None:
    dataset = load_atek_wds_dataset(small_urls[:3], batch_size=4, collation_fn=simple_list_collation_fn)
    assert [len(batch) for batch in dataset] == [4, 2]
