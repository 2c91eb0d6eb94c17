"""Depth in the rgb geometry: unit scaling, nearest resizing, z-depth to distance (store's pixel order)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from atek_store.errors import RawDataError
from atek_store.preprocess import _aria
from atek_store.preprocess.config import DepthConfig
from atek_store.preprocess.depth import DEPTH_CAMERA_LABEL, DepthProcessor, ray_norms
from atek_store.preprocess.rectify import CameraGeometry, build_geometry
from tests.preprocess.conftest import needs_aria

pytestmark = needs_aria

# depth_images.vrs of the test sequence: three frames
DEPTH_TIMES = [87551170910000, 87551204237999, 87551237566000]


@pytest.fixture(scope="module")
def rgb_240(adt_sequence: Path) -> CameraGeometry:
    provider = _aria.open_vrs(str(adt_sequence / "video.vrs"))
    source = provider.get_device_calibration().get_camera_calib("camera-rgb")
    return build_geometry(source, undistort=False, resolution=(240, 240), rotate=False, antialias=False)


def _config(**changes: object) -> DepthConfig:
    values: dict[str, object] = {
        "stream_id": "345-1",
        "stream_type_id": None,
        "time_domain": "DEVICE_TIME",
        "tolerance_ns": 10_000_000,
        "convert_zdepth_to_distance": False,
        "unit_scaling": 0.001,
    }
    values.update(changes)
    return DepthConfig(**values)  # type: ignore[arg-type]


def test_ray_norms_use_the_stores_transposed_pixel_order(rgb_240: CameraGeometry) -> None:
    norms = ray_norms(rgb_240.final)
    assert norms.shape == (240, 240)
    assert norms.dtype == torch.float32
    calibration = rgb_240.final
    for row, column in [(0, 0), (10, 200), (200, 10), (120, 121)]:
        transposed = np.linalg.norm(
            calibration.unproject_no_checks(np.array([row, column], dtype=np.float64))
        )
        assert norms[row, column].item() == pytest.approx(transposed, rel=1e-6)
    # the principal point is off the diagonal, so the transposition is visible
    upright = np.linalg.norm(calibration.unproject_no_checks(np.array([200.0, 10.0])))
    assert abs(norms[10, 200].item() - upright) > 1e-3
    assert (norms >= 1.0).all()  # rays have z = 1: a distance is never shorter than the z-depth


def test_depth_is_scaled_to_metres_and_resized_without_new_values(
    adt_sequence: Path, rgb_240: CameraGeometry
) -> None:
    processor = DepthProcessor(adt_sequence / "depth_images.vrs", _config(), rgb_240)
    frames = processor.frames(DEPTH_TIMES[:2])
    assert frames is not None
    assert frames.camera_label == DEPTH_CAMERA_LABEL
    assert frames.images is not None
    assert frames.images.shape == (2, 1, 240, 240)
    assert frames.images.dtype == torch.float32
    assert frames.capture_timestamps_ns is not None
    assert frames.capture_timestamps_ns.tolist() == DEPTH_TIMES[:2]
    assert frames.frame_ids is not None
    assert frames.frame_ids.tolist() == [0, 1]
    provider = _aria.open_vrs(str(adt_sequence / "depth_images.vrs"))
    raw = provider.get_image_data_by_index(_aria.stream_id("345-1"), 0)[0].to_numpy_array()
    allowed = set((raw.astype(np.float32) * np.float32(0.001)).ravel().tolist())
    assert set(frames.images[0].flatten().tolist()) <= allowed
    assert 0.5 < frames.images[0].max().item() < 10  # metres in a room


def test_distance_is_z_depth_times_the_ray_norm(adt_sequence: Path, rgb_240: CameraGeometry) -> None:
    z_depth = DepthProcessor(adt_sequence / "depth_images.vrs", _config(), rgb_240).frames(DEPTH_TIMES[:1])
    distance = DepthProcessor(
        adt_sequence / "depth_images.vrs", _config(convert_zdepth_to_distance=True), rgb_240
    ).frames(DEPTH_TIMES[:1])
    assert z_depth is not None
    assert distance is not None
    assert z_depth.images is not None
    assert distance.images is not None
    torch.testing.assert_close(distance.images, z_depth.images * ray_norms(rgb_240.final))


def test_frames_beyond_tolerance_are_left_out(adt_sequence: Path, rgb_240: CameraGeometry) -> None:
    processor = DepthProcessor(adt_sequence / "depth_images.vrs", _config(), rgb_240)
    late = DEPTH_TIMES[-1] + 30_000_000
    partial = processor.frames([DEPTH_TIMES[0], late])
    assert partial is not None
    assert partial.frame_ids is not None
    assert partial.frame_ids.tolist() == [0]
    assert processor.frames([late]) is None


def test_the_stream_can_be_chosen_by_type(adt_sequence: Path, rgb_240: CameraGeometry) -> None:
    processor = DepthProcessor(
        adt_sequence / "depth_images.vrs", _config(stream_id=None, stream_type_id="345"), rgb_240
    )
    assert str(processor.stream_id) == "345-1"


@pytest.mark.parametrize("changes", [{"stream_id": "214-1"}, {"stream_id": None, "stream_type_id": "214"}])
def test_a_missing_stream_lists_the_streams_there_are(
    adt_sequence: Path, rgb_240: CameraGeometry, changes: dict[str, object]
) -> None:
    with pytest.raises(RawDataError, match="345-1"):
        DepthProcessor(adt_sequence / "depth_images.vrs", _config(**changes), rgb_240)
