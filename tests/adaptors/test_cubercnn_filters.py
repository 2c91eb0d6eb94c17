"""The CubeRCNN object filters, on synthetic boxes placed on both sides of every threshold."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from atek_store.adaptors import CubeRCNNModelAdaptor
from atek_store.errors import UsageError
from tests.adaptors.scenes import RGB, Placement, sample_of

THIN = 0.001  # depth extent of the boxes used for the area threshold


def _side_for_pixels(pixels: float, depth: float) -> float:
    # The 2D box of a camera-aligned box is bounded by its nearer face, at depth - THIN / 2.
    return pixels * (depth - THIN / 2) / RGB.fx


NEAR_IN = Placement(101, (60, 60), 0.31, (0.05, 0.05, 0.05))
NEAR_OUT = Placement(102, (260, 60), 0.29, (0.05, 0.05, 0.05))
FAR_IN = Placement(103, (60, 160), 4.9, (0.5, 0.5, 0.5))
FAR_OUT = Placement(104, (260, 160), 5.1, (0.5, 0.5, 0.5))
SMALL = Placement(105, (60, 220), 1.0, (_side_for_pixels(9.5, 1.0), _side_for_pixels(9.5, 1.0), THIN))
LARGE = Placement(106, (160, 220), 1.0, (_side_for_pixels(10.5, 1.0), _side_for_pixels(10.5, 1.0), THIN))
OTHER = Placement(107, (260, 220), 1.0, (0.2, 0.2, 0.2), category_id=0)
CATEGORY_ONE = Placement(108, (160, 110), 2.0, (0.4, 0.4, 0.4), category_id=1)
ALL = [NEAR_IN, NEAR_OUT, FAR_IN, FAR_OUT, SMALL, LARGE, OTHER, CATEGORY_ONE]


@pytest.fixture(scope="module")
def placed() -> dict[str, object]:
    sample = sample_of(ALL)
    obb2 = sample["gt_data"]["obb2_gt"]["camera-rgb"]
    # The scene really puts each box where the test needs it.
    assert obb2["instance_ids"].tolist() == [p.instance_id for p in ALL]
    ranges = obb2["box_ranges"]
    areas = dict(
        zip(
            obb2["instance_ids"].tolist(),
            ((ranges[:, 1] - ranges[:, 0]) * (ranges[:, 3] - ranges[:, 2])).tolist(),
            strict=True,
        )
    )
    assert 85 < areas[SMALL.instance_id] < 100 < areas[LARGE.instance_id] < 115
    assert all(area > 150 for key, area in areas.items() if key not in (SMALL.instance_id, LARGE.instance_id))
    return sample


def _kept(adaptor: CubeRCNNModelAdaptor, sample: dict[str, object]) -> set[int]:
    out = adaptor.adapt(sample)
    assert out is not None
    by_centre = {p.instance_id: p for p in ALL}
    kept = set()
    # gt_classes alone does not identify boxes: match each kept box's camera-frame centre to a placement.
    for centre in out["instances"].gt_boxes3D[:, 6:].tolist():
        matches = [
            key for key, p in by_centre.items() if np.allclose(centre, p.t_camera_object()[:, 3], atol=1e-4)
        ]
        assert len(matches) == 1
        kept.add(matches[0])
    return kept


def test_default_thresholds_keep_exactly_the_boxes_inside_them(placed: dict[str, object]) -> None:
    assert _kept(CubeRCNNModelAdaptor(), placed) == {
        NEAR_IN.instance_id,
        FAR_IN.instance_id,
        LARGE.instance_id,
        CATEGORY_ONE.instance_id,
    }


@pytest.mark.parametrize(
    ("options", "now_kept"),
    [
        ({"min_bb3d_depth": 0.28}, NEAR_OUT),
        ({"max_bb3d_depth": 5.2}, FAR_OUT),
        ({"min_bb2d_area": 80.0}, SMALL),
    ],
)
def test_moving_a_threshold_past_a_box_keeps_it(
    placed: dict[str, object], options: dict[str, float], now_kept: Placement
) -> None:
    baseline = _kept(CubeRCNNModelAdaptor(), placed)
    assert _kept(CubeRCNNModelAdaptor(**options), placed) == baseline | {now_kept.instance_id}


def test_tightened_thresholds_drop_the_boxes_beyond_them(placed: dict[str, object]) -> None:
    kept = _kept(CubeRCNNModelAdaptor(min_bb2d_area=120.0, min_bb3d_depth=0.32, max_bb3d_depth=4.8), placed)
    assert kept == {CATEGORY_ONE.instance_id}


def test_category_other_is_dropped_whatever_its_size(placed: dict[str, object]) -> None:
    loose = CubeRCNNModelAdaptor(min_bb2d_area=0.0, min_bb3d_depth=0.0, max_bb3d_depth=100.0)
    assert _kept(loose, placed) == {p.instance_id for p in ALL} - {OTHER.instance_id}


def test_depth_bounds_are_inclusive_and_area_bound_exclusive(placed: dict[str, object]) -> None:
    loose = CubeRCNNModelAdaptor(min_bb2d_area=0.0, min_bb3d_depth=0.0, max_bb3d_depth=100.0)
    out = loose.adapt(placed)
    assert out is not None
    depths = out["instances"].gt_boxes3D[:, 2]  # float32, as the filter compares them

    def count(minimum: float, maximum: float) -> int:
        adaptor = CubeRCNNModelAdaptor(min_bb2d_area=0.0, min_bb3d_depth=minimum, max_bb3d_depth=maximum)
        converted = adaptor.adapt(placed)
        assert converted is not None
        return len(converted["category"])

    nearest, farthest = depths.min(), depths.max()
    assert count(float(nearest), 100.0) == len(depths)
    assert count(float(torch.nextafter(nearest, torch.tensor(1.0))), 100.0) == len(depths) - 1
    assert count(0.0, float(farthest)) == len(depths)
    assert count(0.0, float(torch.nextafter(farthest, torch.tensor(0.0)))) == len(depths) - 1

    # A 2D box of exactly 100 px^2 is dropped, one a hair larger is kept.
    obb2 = placed["gt_data"]["obb2_gt"]["camera-rgb"]
    ranges = obb2["box_ranges"].clone()
    large = obb2["instance_ids"].tolist().index(LARGE.instance_id)
    x0, y0 = float(ranges[large, 0]), float(ranges[large, 2])
    for height, expect_kept in ((10.0, False), (10.001, True)):
        ranges[large] = torch.tensor([x0, x0 + 10.0, y0, y0 + height])
        edited = {
            **placed,
            "gt_data": {**placed["gt_data"], "obb2_gt": {"camera-rgb": {**obb2, "box_ranges": ranges}}},
        }
        boxes = CubeRCNNModelAdaptor().adapt(edited)["instances"].gt_boxes.tensor
        has_large = any(abs(row[0] - x0) < 1e-4 and abs(row[1] - y0) < 1e-4 for row in boxes.tolist())
        assert has_large is expect_kept


def test_kept_boxes_carry_the_placed_geometry(placed: dict[str, object]) -> None:
    out = CubeRCNNModelAdaptor().adapt(placed)
    assert out is not None
    instances = out["instances"]
    for row, pose in zip(instances.gt_boxes3D.tolist(), instances.gt_poses, strict=True):
        (place,) = [p for p in ALL if np.allclose(row[6:], p.t_camera_object()[:, 3], atol=1e-4)]
        # The projected centre is the pixel the box was placed at; dimensions come reversed (z, y, x).
        assert row[0] == pytest.approx(place.pixel[0], abs=1e-3)
        assert row[1] == pytest.approx(place.pixel[1], abs=1e-3)
        assert row[2] == pytest.approx(place.depth, abs=1e-5)
        assert row[3:6] == pytest.approx(place.dimensions[::-1], abs=1e-6)
        # The boxes are aligned with the camera: rotation camera <- object is the identity.
        assert torch.allclose(pose, torch.eye(3), atol=1e-5)
    assert out["category"].tolist() == instances.gt_classes.tolist()
    assert out["object_dimensions"][:, [2, 1, 0]].tolist() == instances.gt_boxes3D[:, 3:6].tolist()


@pytest.mark.parametrize(
    "options",
    [{"min_bb2d_area": -1.0}, {"min_bb3d_depth": -0.1}, {"min_bb3d_depth": 2.0, "max_bb3d_depth": 1.0}],
)
def test_impossible_thresholds_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(UsageError):
        CubeRCNNModelAdaptor(**options)
