"""The adaptors' tensor helpers behave as the original's ``tensor_utils``: pad, compare, corners, filter."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from atek_store.adaptors.tensors import (
    check_dicts_same_w_tensors,
    compute_bbox_corners_in_world,
    fill_or_trim_tensor,
    filter_obbs_by_confidence,
    filter_obbs_by_confidence_all_cams,
)
from atek_store.errors import UsageError
from atek_store.format import iter_shard
from atek_store.geometry import invert, orthonormalize, transform_points


@given(
    have=st.integers(min_value=1, max_value=5),
    want=st.integers(min_value=1, max_value=8),
    dim=st.sampled_from([0, 1, -1]),
    fill=st.sampled_from([None, -1.0]),
)
def test_fill_or_trim_keeps_the_first_entries_and_pads_after_them(
    have: int, want: int, dim: int, fill: float | None
) -> None:
    shape = [2, 3]
    shape[dim] = have
    tensor = torch.arange(float(torch.Size(shape).numel())).reshape(shape)
    out = fill_or_trim_tensor(tensor, want, dim, fill_value=fill)
    assert out.shape[dim] == want
    kept = min(have, want)
    assert torch.equal(out.narrow(dim, 0, kept), tensor.narrow(dim, 0, kept))
    if want > have:
        pad = out.narrow(dim, have, want - have)
        expected = (
            tensor.narrow(dim, have - 1, 1).expand_as(pad) if fill is None else torch.full_like(pad, fill)
        )
        assert torch.equal(pad, expected)


def test_fill_or_trim_needs_an_entry_to_repeat() -> None:
    with pytest.raises(UsageError, match="no entry along dim 0"):
        fill_or_trim_tensor(torch.zeros(0, 3), 4, 0)
    same = torch.zeros(4)
    assert fill_or_trim_tensor(same, 4, 0) is same


def test_dicts_with_tensors_compare_within_tolerance() -> None:
    first = {"a": torch.ones(2), "b": {"c": [torch.zeros(1)], "d": "x"}}
    assert check_dicts_same_w_tensors(
        first, {"a": torch.ones(2) + 1e-7, "b": {"c": [torch.zeros(1)], "d": "x"}}
    )
    assert not check_dicts_same_w_tensors(first, {"a": torch.ones(2) + 1e-3, "b": first["b"]})
    assert not check_dicts_same_w_tensors(first, {"a": torch.ones(3), "b": first["b"]})
    assert not check_dicts_same_w_tensors(first, {"a": torch.ones(2)})
    assert not check_dicts_same_w_tensors({"a": "x"}, {"a": torch.ones(1)})


def test_golden_box_corners_sit_at_half_dimensions_around_each_pose(golden_dir: Path) -> None:
    (sample,) = list(iter_shard(golden_dir / "wds" / "adt_cubercnn" / "shards-0000.tar"))
    obb3 = sample["gt_data"]["obb3_gt"]["camera-rgb"]
    corners = compute_bbox_corners_in_world(obb3["object_dimensions"], obb3["ts_world_object"])
    assert corners.shape == (91, 8, 3)
    assert corners.dtype == torch.float32
    local = transform_points(invert(orthonormalize(obb3["ts_world_object"])), corners.double())
    half = obb3["object_dimensions"].double()[:, None, :] / 2
    signs = torch.tensor(
        [[-1, -1, -1], [1, -1, -1], [1, 1, -1], [-1, 1, -1], [-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1]],
        dtype=torch.float64,
    )
    assert torch.allclose(local, signs * half, atol=1e-5)
    assert compute_bbox_corners_in_world(torch.zeros(0, 3), torch.zeros(0, 3, 4)).shape == (0, 8, 3)


def test_obbs_are_filtered_by_score_in_every_field_and_camera() -> None:
    obbs = {
        "instance_ids": torch.tensor([1, 2, 3]),
        "category_names": ["a", "b", "c"],
        "box_ranges": torch.arange(12.0).reshape(3, 4),
        "visibility_ratios": None,
    }
    scores = torch.tensor([0.9, 0.1, 0.5])
    kept = filter_obbs_by_confidence(obbs, scores, 0.3)
    assert kept["instance_ids"].tolist() == [1, 3]
    assert kept["category_names"] == ["a", "c"]
    assert kept["box_ranges"].shape == (2, 4)
    assert "visibility_ratios" not in kept  # the original keeps only tensors and lists
    both = filter_obbs_by_confidence_all_cams({"rgb": obbs, "slam": obbs}, scores, 0.6)
    assert {camera: cam["category_names"] for camera, cam in both.items()} == {"rgb": ["a"], "slam": ["a"]}
    one = filter_obbs_by_confidence({"ids": torch.tensor([7])}, torch.tensor(0.9), 0.5)
    assert one["ids"].tolist() == [7]
