"""Each image/geometry transform on its own: images, intrinsics/extrinsics and 2D boxes stay consistent.

A bright rectangle is drawn into a raw image; after a transform, its 2D box pushed through the same
transform must still enclose the rectangle's pixels, and a 3D point must project where the
transformed pixel says.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from atek_store.preprocess import _aria
from atek_store.preprocess.rectify import build_geometry, resize_images, rotate_cw90, sample_box_edges
from tests.preprocess.conftest import needs_aria

pytestmark = needs_aria


@pytest.fixture(scope="module")
def calibrations(adt_sequence: Path) -> dict[str, Any]:
    provider = _aria.open_vrs(str(adt_sequence / "video.vrs"))
    device = provider.get_device_calibration()
    return {label: device.get_camera_calib(label) for label in ("camera-rgb", "camera-slam-left")}


def _linear(width: int, height: int, focal: float = 50.0) -> Any:
    return _aria.calibration().get_linear_camera_calibration(width, height, focal, "test")


def _image_with_box(
    width: int, height: int, box: tuple[int, int, int, int], channels: int = 3
) -> torch.Tensor:
    """uint8 [1, C, H, W]: black with a white filled box given as (xmin, xmax, ymin, ymax), inclusive."""
    image = torch.zeros(1, channels, height, width, dtype=torch.uint8)
    xmin, xmax, ymin, ymax = box
    image[..., ymin : ymax + 1, xmin : xmax + 1] = 255
    return image


def _bright_extent(image: torch.Tensor) -> tuple[int, int, int, int]:
    ys, xs = torch.nonzero(image[0, 0] > 128, as_tuple=True)
    return int(xs.min()), int(xs.max()), int(ys.min()), int(ys.max())


def _encloses(box: np.ndarray, extent: tuple[int, int, int, int], slack: float) -> bool:
    xmin, xmax, ymin, ymax = extent
    return bool(
        box[0] <= xmin + slack
        and box[1] >= xmax - slack
        and box[2] <= ymin + slack
        and box[3] >= ymax - slack
    )


def _project_from_device(calibration: Any, point_device: np.ndarray) -> np.ndarray:
    camera = calibration.get_transform_device_camera().inverse().to_matrix()
    point = camera[:3, :3] @ point_device + camera[:3, 3]
    return np.asarray(calibration.project_no_checks(point))


def test_rotation_maps_pixels_clockwise_on_a_non_square_image() -> None:
    geometry = build_geometry(_linear(60, 40), undistort=False, resolution=None, rotate=True)
    assert geometry.final_size == (40, 60)
    points = np.array([[0, 0], [59, 0], [0, 39], [12.5, 7.25]], dtype=np.float32)
    expected = np.array([[39, 0], [39, 59], [0, 0], [39 - 7.25, 12.5]], dtype=np.float32)
    np.testing.assert_allclose(geometry.transform_pixels(points), expected, atol=1e-5)


def test_a_rotated_images_box_still_encloses_the_object() -> None:
    geometry = build_geometry(_linear(60, 40), undistort=False, resolution=None, rotate=True)
    raw_box = (10, 19, 5, 12)
    rotated = geometry.transform_images(_image_with_box(60, 40, raw_box))
    assert rotated.shape == (1, 3, 60, 40)
    box = geometry.transform_box(np.array(raw_box, dtype=np.float32), 10)
    extent = _bright_extent(rotated)
    assert _encloses(box, extent, slack=0.0)
    np.testing.assert_allclose(box, extent, atol=1e-5)  # a rotation keeps the box tight


def test_rotation_turns_the_calibration_with_the_image() -> None:
    source = _linear(60, 40)
    geometry = build_geometry(source, undistort=False, resolution=None, rotate=True)
    point = np.array([0.3, -0.2, 2.0])  # in front of the camera, device = camera here
    raw = _project_from_device(source, point)
    np.testing.assert_allclose(
        geometry.transform_pixels(raw[None])[0], _project_from_device(geometry.final, point), atol=1e-3
    )
    # the camera frame turned about its optical axis: T_device_camera gained a 90 degree z rotation
    before = source.get_transform_device_camera().to_matrix()
    after = geometry.final.get_transform_device_camera().to_matrix()
    turn = np.linalg.inv(before) @ after
    np.testing.assert_allclose(turn[:3, :3], [[0, 1, 0], [-1, 0, 0], [0, 0, 1]], atol=1e-12)


def test_rotating_an_image_array_is_clockwise() -> None:
    image = torch.arange(6, dtype=torch.uint8).reshape(1, 1, 2, 3)  # [[0 1 2], [3 4 5]]
    assert rotate_cw90(image)[0, 0].tolist() == [[3, 0], [4, 1], [5, 2]]


def test_undistorting_keeps_the_box_around_the_object(calibrations: dict[str, Any]) -> None:
    source = calibrations["camera-rgb"]
    geometry = build_geometry(source, undistort=True, resolution=None, rotate=False)
    raw_box = (250, 420, 300, 380)  # away from the centre, where the fisheye bends lines most
    undistorted = geometry.transform_images(_image_with_box(1408, 1408, raw_box))
    box = geometry.transform_box(np.array(raw_box, dtype=np.float32), 10)
    extent = _bright_extent(undistorted)
    assert _encloses(box, extent, slack=1.0)
    # and the box is not much larger than the object: edges were sampled densely enough
    assert box[1] - box[0] <= extent[1] - extent[0] + 4
    assert box[3] - box[2] <= extent[3] - extent[2] + 4


def test_undistortion_gives_a_centred_linear_camera(calibrations: dict[str, Any]) -> None:
    source = calibrations["camera-rgb"]
    geometry = build_geometry(source, undistort=True, resolution=None, rotate=False)
    fx = float(source.get_focal_lengths()[0])
    assert str(geometry.final.get_model_name()) == "CameraModelType.LINEAR"
    np.testing.assert_allclose(geometry.final.get_projection_params(), [fx, fx, 703.5, 703.5])
    np.testing.assert_allclose(
        geometry.final.get_transform_device_camera().to_matrix(),
        source.get_transform_device_camera().to_matrix(),
    )
    point = np.array([0.4, -0.1, 1.5])
    raw = _project_from_device(source, point)
    np.testing.assert_allclose(
        geometry.transform_pixels(raw[None])[0], _project_from_device(geometry.final, point), atol=1e-2
    )


def test_rescaling_keeps_the_box_around_the_object(calibrations: dict[str, Any]) -> None:
    source = calibrations["camera-slam-left"]
    geometry = build_geometry(source, undistort=False, resolution=(320, 240), rotate=False, antialias=False)
    raw_box = (100, 301, 60, 181)
    small = geometry.transform_images(_image_with_box(640, 480, raw_box, channels=1))
    assert small.shape == (1, 1, 240, 320)
    box = geometry.transform_box(np.array(raw_box, dtype=np.float32), 10)
    assert _encloses(box, _bright_extent(small), slack=1.0)


def test_rescaling_scales_intrinsics_with_the_pixel_quirk_of_the_original(
    calibrations: dict[str, Any],
) -> None:
    source = calibrations["camera-slam-left"]
    geometry = build_geometry(source, undistort=False, resolution=(320, 240), rotate=False)
    scale = 0.5
    raw_params = np.asarray(source.get_projection_params())
    params = np.asarray(geometry.final.get_projection_params())
    np.testing.assert_allclose(params[0], raw_params[0] * scale)
    np.testing.assert_allclose(params[1:3], (raw_params[1:3] + 0.5) * scale - 0.5)
    np.testing.assert_allclose(geometry.final.get_valid_radius(), source.get_valid_radius() * scale)
    # boxes use (p - 0.5) * s + 0.5 where the calibration uses (p + 0.5) * s - 0.5: 1 - s pixels apart
    point = np.array([0.2, 0.1, 1.0])
    raw = _project_from_device(source, point)
    moved = geometry.transform_pixels(raw[None])[0]
    np.testing.assert_allclose(
        moved - _project_from_device(geometry.final, point), [1 - scale, 1 - scale], atol=1e-3
    )


def test_bilinear_halving_averages_pixel_blocks() -> None:
    generator = torch.Generator().manual_seed(0)
    image = torch.randint(0, 256, (1, 3, 8, 12), dtype=torch.uint8, generator=generator)
    half = resize_images(image, 4, 6, antialias=False)
    blocks = image.float().reshape(1, 3, 4, 2, 6, 2).mean(dim=(3, 5))
    assert half.dtype == torch.uint8
    # the uint8 kernel works in fixed point (as torchvision's does for uint8), so within one level
    assert (half.float() - blocks).abs().max() <= 1.0


def test_nearest_resizing_of_depth_invents_no_depth() -> None:
    depth = torch.tensor([[[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]]])
    small = resize_images(depth, 1, 2, nearest=True)
    assert set(small.flatten().tolist()) <= set(depth.flatten().tolist())
    assert resize_images(depth, 2, 4) is depth  # same size: untouched


def test_box_edges_include_the_corners_and_stay_on_the_edges() -> None:
    points = sample_box_edges(np.array([10.0, 20.0, 5.0, 9.0]), 10)
    assert points.shape == (48, 2)
    assert points.dtype == np.float32
    for corner in ([10, 5], [20, 5], [10, 9], [20, 9]):
        assert any(np.allclose(p, corner) for p in points)
    on_edge = (
        np.isclose(points[:, 0], 10)
        | np.isclose(points[:, 0], 20)
        | np.isclose(points[:, 1], 5)
        | np.isclose(points[:, 1], 9)
    )
    assert on_edge.all()
