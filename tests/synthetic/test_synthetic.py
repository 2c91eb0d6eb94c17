"""Synthetic data is deterministic, well-formed, and its 2D and 3D ground truth agree."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import torch

from atek_store.categories import category_name
from atek_store.format import iter_shard
from atek_store.geometry import CameraModel, compose, invert, transform_points
from atek_store.synthetic import SYNTHETIC_CONFIGS, generate_sequence, write_synthetic_store

_CORNER_SIGNS = torch.tensor(
    [[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], dtype=torch.float64
)


def first_samples(kind: str, count: int = 2, seed: int = 0) -> list[dict[str, Any]]:
    return list(
        itertools.islice(generate_sequence(SYNTHETIC_CONFIGS[kind], seed=seed, index=0, name="s"), count)
    )


def projected_box(sample: dict[str, Any], camera: str, obb3: dict[str, Any], frame: int) -> torch.Tensor:
    """``[N, 4]`` xmin, xmax, ymin, ymax of each obb3 box projected into ``camera``, clamped."""
    model = CameraModel.from_sample(sample, camera)
    t_world_camera = compose(
        sample["mtd#ts_world_device"][frame].double(), sample[f"mfcd#{camera}+t_device_camera"].double()
    )
    corners_object = _CORNER_SIGNS[None] * obb3["object_dimensions"].double()[:, None] / 2
    corners_world = transform_points(obb3["ts_world_object"].double(), corners_object)
    pixels = model.project(transform_points(invert(t_world_camera), corners_world)).pixels
    height, width = sample[f"mfcd#{camera}+images"].shape[-2:]
    u = pixels[..., 0].clamp(0, width - 1)
    v = pixels[..., 1].clamp(0, height - 1)
    return torch.stack([u.min(1).values, u.max(1).values, v.min(1).values, v.max(1).values], dim=1)


def test_obb2_boxes_are_projections_of_obb3_boxes_within_one_pixel() -> None:
    checked = 0
    for sample in first_samples("cubercnn", count=4):
        obb3 = sample["gt_data"]["obb3_gt"]["camera-rgb"]
        obb2 = sample["gt_data"]["obb2_gt"]["camera-rgb"]
        assert torch.equal(obb3["instance_ids"], obb2["instance_ids"])
        expected = projected_box(sample, "camera-rgb", obb3, frame=0)
        assert (expected - obb2["box_ranges"].double()).abs().max() <= 1.0
        checked += len(obb3["instance_ids"])
    assert checked > 5


def test_efm_ground_truth_objects_project_into_their_cameras() -> None:
    (sample,) = first_samples("efm", count=1)
    times = sample["mfcd#camera-rgb+capture_timestamps_ns"].tolist()
    for frame, time in enumerate(times):
        per_camera = sample["gt_data"]["efm_gt"][str(time)]
        for camera, obb3 in per_camera.items():
            boxes = projected_box(sample, camera, obb3, frame)
            assert ((boxes[:, 1] - boxes[:, 0]) > 0).all()  # every listed object overlaps the image


def test_categories_are_atek_categories() -> None:
    for sample in first_samples("cubercnn"):
        obb3 = sample["gt_data"]["obb3_gt"]["camera-rgb"]
        assert obb3["category_names"] == [category_name(i) for i in obb3["category_ids"].tolist()]
        assert (obb3["category_ids"] > 0).all()


@pytest.mark.parametrize("kind", ["cubercnn", "efm"])
def test_same_seed_same_samples_other_seed_other_samples(kind: str) -> None:
    a, b, c = (
        first_samples(kind, 1, seed=5)[0],
        first_samples(kind, 1, seed=5)[0],
        first_samples(kind, 1, seed=6)[0],
    )
    assert torch.equal(a["mfcd#camera-rgb+images"], b["mfcd#camera-rgb+images"])
    assert not torch.equal(a["mfcd#camera-rgb+images"], c["mfcd#camera-rgb+images"])


def test_efm_sample_layout() -> None:
    (sample,) = first_samples("efm", count=1)
    frames = SYNTHETIC_CONFIGS["efm"].frames_per_sample
    assert sample["mfcd#camera-rgb+images"].shape == (frames, 3, 240, 240)
    assert sample["mfcd#camera-slam-left+images"].shape == (frames, 1, 240, 320)
    assert sample["mfcd#camera-slam-right+images"].shape == (frames, 1, 240, 320)
    depth = sample["mfcd#camera-rgb-depth+images"]
    assert depth.dtype == torch.float32
    assert depth.shape == (frames, 1, 240, 240)
    assert (depth > 0).all()
    assert len(sample["msdpd#points_world"]) == frames
    assert torch.equal(sample["mfcd#camera-slam-left+t_device_camera"][:, :3], torch.eye(3))


def test_semidense_points_lie_on_the_depth_surface() -> None:
    (sample,) = first_samples("efm", count=1)
    model = CameraModel.from_sample(sample, "camera-rgb")
    t_world_camera = compose(
        sample["mtd#ts_world_device"][0].double(), sample["mfcd#camera-rgb+t_device_camera"].double()
    )
    points_camera = transform_points(invert(t_world_camera), sample["msdpd#points_world"][0].double())
    pixels = model.project(points_camera).pixels.round().long()
    distance = sample["mfcd#camera-rgb-depth+images"][0, 0][pixels[:, 1], pixels[:, 0]].double()
    assert torch.allclose(points_camera.norm(dim=1), distance, rtol=0.05)


def test_store_layout_on_disk(tmp_path: Path) -> None:
    records = write_synthetic_store(tmp_path, config="cubercnn", sequences=2, samples_per_sequence=5)
    assert sorted(records) == ["synthetic_seq_000", "synthetic_seq_001"]
    for name, shards in records.items():
        assert [r.path for r in shards] == sorted((tmp_path / name).glob("shards-*.tar"))
        assert sum(len(list(iter_shard(r.path))) for r in shards) == 5
