"""Our LINEAR and FISHEYE624 projection equals projectaria-tools' on the golden shards' calibrations."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from atek_store.format import iter_shard
from atek_store.geometry import CameraModel

calibration = pytest.importorskip("projectaria_tools.core.calibration")
sophus = pytest.importorskip("projectaria_tools.core.sophus")

CAMERAS = [
    ("adt_cubercnn", "camera-rgb"),
    ("adt_efm_short", "camera-rgb"),
    ("adt_efm_short", "camera-slam-left"),
    ("adt_efm_short", "camera-slam-right"),
]


def _golden_calibration(golden_dir: Path, name: str, camera: str) -> tuple[CameraModel, tuple[int, int]]:
    sample = next(iter_shard(golden_dir / "wds" / name / "shards-0000.tar"))
    images = sample[f"mfcd#{camera}+images"]
    return CameraModel.from_sample(sample, camera), (int(images.shape[-1]), int(images.shape[-2]))


def _projectaria(model: CameraModel, size: tuple[int, int]) -> object:
    kind = (
        calibration.CameraModelType.LINEAR
        if model.model_name.endswith("LINEAR")
        else (calibration.CameraModelType.FISHEYE624)
    )
    identity = sophus.SE3.from_matrix3x4(np.eye(3, 4))
    return calibration.CameraCalibration(
        "camera",
        kind,
        model.params.to(torch.float64).numpy(),
        identity,
        size[0],
        size[1],
        None,
        math.pi,
        "sn",
    )


def _directions(max_angle: float, count: int = 2000) -> np.ndarray:
    # Rays spread over the cone the camera sees, at various distances.
    rng = np.random.default_rng(5)
    angle = rng.uniform(0, max_angle, count)
    azimuth = rng.uniform(0, 2 * math.pi, count)
    distance = rng.uniform(0.2, 8.0, count)
    rays = np.stack([np.sin(angle) * np.cos(azimuth), np.sin(angle) * np.sin(azimuth), np.cos(angle)], axis=1)
    return rays * distance[:, None]


@pytest.mark.parametrize(("name", "camera"), CAMERAS)
def test_projection_matches_projectaria_tools(golden_dir: Path, name: str, camera: str) -> None:
    model, size = _golden_calibration(golden_dir, name, camera)
    reference = _projectaria(model, size)
    # LINEAR: within the 1408 px image; FISHEYE624: up to 75 degrees off axis (the lenses see ~75-80).
    max_angle = math.radians(48 if model.model_name.endswith("LINEAR") else 75)
    points = _directions(max_angle)
    ours = model.project(torch.from_numpy(points))
    assert bool(ours.in_front.all())
    theirs = np.stack([reference.project_no_checks(p).reshape(2) for p in points])
    assert np.abs(ours.pixels.numpy() - theirs).max() < 1e-9


def test_the_golden_cameras_are_the_two_stored_models(golden_dir: Path) -> None:
    names = {_golden_calibration(golden_dir, n, c)[0].model_name for n, c in CAMERAS}
    assert names == {"CameraModelType.LINEAR", "CameraModelType.FISHEYE624"}
