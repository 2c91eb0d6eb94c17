"""Camera frames: the closest frame per query within tolerance, with its metadata and calibration."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from atek_store.errors import RawDataError
from atek_store.preprocess import _aria
from atek_store.preprocess.cameras import CameraProcessor
from atek_store.preprocess.config import CameraConfig
from tests.preprocess.conftest import needs_aria

pytestmark = needs_aria

RGB_TIMES = [87551170813262, 87551204152300, 87551237472175, 87551270796975, 87551304120137, 87551337447475]


@pytest.fixture(scope="module")
def provider(adt_sequence: Path) -> object:
    return _aria.open_vrs(str(adt_sequence / "video.vrs"))


def _camera(provider: object, label: str = "camera-rgb", **changes: object) -> CameraProcessor:
    config = CameraConfig(
        section="rgb", sensor_label=label, time_domain="DEVICE_TIME", tolerance_ns=10_000_000
    )
    config = CameraConfig(**{**config.__dict__, **changes})  # type: ignore[arg-type]
    return CameraProcessor(provider, config, vrs_path="video.vrs", with_valid_radius=True)


def test_frames_carry_their_metadata_and_the_final_calibration(provider: object) -> None:
    frames = _camera(provider).frames(RGB_TIMES[:2])
    assert frames is not None
    assert frames.images is not None
    assert frames.images.shape == (2, 3, 1408, 1408)
    assert frames.images.dtype == torch.uint8
    assert frames.capture_timestamps_ns is not None
    assert frames.capture_timestamps_ns.tolist() == RGB_TIMES[:2]
    assert frames.frame_ids is not None
    assert frames.frame_ids.tolist() == [1330, 1331]
    assert frames.exposure_durations_s is not None
    assert frames.exposure_durations_s.dtype == torch.float32
    assert frames.gains is not None
    assert frames.gains.tolist() == [16.0, 16.0]
    assert frames.origin_camera_label == "camera-slam-left"
    assert frames.camera_model_name == "CameraModelType.FISHEYE624"
    assert frames.projection_params is not None
    assert frames.projection_params.dtype == torch.float64
    assert frames.projection_params.shape == (15,)
    assert frames.t_device_camera is not None
    assert frames.t_device_camera.shape == (3, 4)
    assert frames.camera_valid_radius is not None
    assert frames.camera_valid_radius.tolist() == [707.5]


def test_a_query_far_from_every_frame_is_left_out(provider: object) -> None:
    camera = _camera(provider)
    frames = camera.frames([RGB_TIMES[0], RGB_TIMES[0] + 16_000_000])  # half-way between two frames
    assert frames is not None
    assert frames.frame_ids is not None
    assert frames.frame_ids.tolist() == [1330]
    assert camera.frames([RGB_TIMES[-1] + 11_000_000]) is None


def test_overlapping_queries_give_the_same_frames(provider: object) -> None:
    camera = _camera(provider, target_resolution=(240, 240), rescale_antialias=False)
    first = camera.frames(RGB_TIMES[:2])
    second = camera.frames(RGB_TIMES[1:3])
    assert first is not None
    assert second is not None
    assert first.images is not None
    assert second.images is not None
    assert torch.equal(first.images[1], second.images[0])


def test_slam_frames_are_single_channel(provider: object) -> None:
    frames = _camera(provider, "camera-slam-right", target_resolution=(320, 240)).frames([87551170910712])
    assert frames is not None
    assert frames.images is not None
    assert frames.images.shape == (1, 1, 240, 320)


def test_an_unknown_camera_label_names_the_file(provider: object) -> None:
    with pytest.raises(RawDataError, match="camera-thermal.*video.vrs|video.vrs.*camera-thermal"):
        _camera(provider, "camera-thermal")
