"""Boxes become image wireframes: exact corners for pinhole cameras, curved edges for fisheye ones."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from atek_store.geometry import CameraModel
from atek_store.viz import BOX_EDGES, box_corners, clip_segment, project_boxes

PINHOLE = CameraModel.linear(200.0, 200.0, 159.5, 119.5)
FISHEYE = CameraModel(
    "CameraModelType.FISHEYE624",
    torch.tensor(
        [150.0, 160.0, 120.0, 0.02, -0.01, 0.003, 0.0, 0.0, 0.0, 1e-4, -2e-4, 1e-4, 0.0, -1e-4, 0.0]
    ),
)


def _cross(u: np.ndarray, v: np.ndarray) -> float:
    return float(u[0] * v[1] - u[1] * v[0])


def _pose(x: float, y: float, z: float, yaw: float = 0.0) -> torch.Tensor:
    c, s = math.cos(yaw), math.sin(yaw)
    return torch.tensor([[[c, 0.0, s, x], [0.0, 1.0, 0.0, y], [-s, 0.0, c, z]]], dtype=torch.float64)


def test_a_box_has_twelve_edges_joining_corners_one_axis_apart() -> None:
    assert len(BOX_EDGES) == len(set(BOX_EDGES)) == 12
    degree = [0] * 8
    for a, b in BOX_EDGES:
        assert bin(a ^ b).count("1") == 1
        degree[a] += 1
        degree[b] += 1
    assert degree == [3] * 8
    corners = box_corners(_pose(0, 0, 2), torch.tensor([[2.0, 4.0, 6.0]]))[0]
    assert corners.min(dim=0).values.tolist() == [-1.0, -2.0, -1.0]
    assert corners.max(dim=0).values.tolist() == [1.0, 2.0, 5.0]


def test_pinhole_edges_are_straight_lines_between_projected_corners() -> None:
    pose, size = _pose(0.1, -0.05, 3.0, yaw=0.4), torch.tensor([[0.5, 0.3, 0.4]])
    (box,) = project_boxes(PINHOLE, pose, size, image_size=(320, 240))
    corners = box_corners(pose, size)[0].numpy()
    expected = np.stack(
        [200 * corners[:, 0] / corners[:, 2] + 159.5, 200 * corners[:, 1] / corners[:, 2] + 119.5], 1
    )
    assert len(box.polylines) == 12
    for polyline, (a, b) in zip(box.polylines, BOX_EDGES, strict=True):
        assert polyline.shape == (2, 2)
        assert np.allclose(polyline, expected[[a, b]], atol=1e-9)
    assert box.anchor == pytest.approx(tuple(expected[np.argmin(expected[:, 1])]))


def test_fisheye_edges_are_sampled_projections_of_the_3d_edges() -> None:
    calibration = pytest.importorskip("projectaria_tools.core.calibration")
    sophus = pytest.importorskip("projectaria_tools.core.sophus")
    reference = calibration.CameraCalibration(
        "c",
        calibration.CameraModelType.FISHEYE624,
        FISHEYE.params.to(torch.float64).numpy(),
        sophus.SE3.from_matrix3x4(np.eye(3, 4)),
        320,
        240,
        None,
        math.pi,
        "sn",
    )
    pose, size = _pose(0.3, 0.1, 1.2, yaw=0.7), torch.tensor([[1.4, 0.9, 0.5]])
    (box,) = project_boxes(FISHEYE, pose, size, image_size=(320, 240), samples_per_edge=9)
    corners = box_corners(pose, size)[0].numpy()
    assert len(box.polylines) == 12
    for polyline, (a, b) in zip(box.polylines, BOX_EDGES, strict=True):
        points = corners[a] + np.linspace(0, 1, 9)[:, None] * (corners[b] - corners[a])
        expected = np.stack([reference.project_no_checks(p).reshape(2) for p in points])
        assert np.abs(polyline - expected).max() < 1e-9
        # The edge really curves: its middle is off the chord between its ends.
    chords = [abs(_cross(p[-1] - p[0], p[4] - p[0])) / np.linalg.norm(p[-1] - p[0]) for p in box.polylines]
    assert max(chords) > 3.0


def test_a_box_behind_the_camera_draws_nothing() -> None:
    (box,) = project_boxes(PINHOLE, _pose(0, 0, -3.0), torch.tensor([[1.0, 1.0, 1.0]]), image_size=(320, 240))
    assert box.polylines == ()
    assert box.anchor is None


def test_a_box_around_the_camera_plane_is_cut_at_it_and_kept_near_the_image() -> None:
    # Centre at z = 0.2 with depth 1: half the box is behind the camera.
    (box,) = project_boxes(
        PINHOLE, _pose(0.0, 0.2, 0.2), torch.tensor([[0.6, 0.1, 1.0]]), image_size=(320, 240)
    )
    assert box.polylines
    stacked = np.concatenate(box.polylines)
    assert np.isfinite(stacked).all()
    # Lines running off to infinity are clipped to the image plus a margin.
    assert stacked[:, 0].min() >= -64 - 1e-9
    assert stacked[:, 0].max() <= 319 + 64 + 1e-9
    assert stacked[:, 1].min() >= -64 - 1e-9
    assert stacked[:, 1].max() <= 239 + 64 + 1e-9


def test_fisheye_points_outside_the_valid_circle_are_left_out() -> None:
    pose, size = _pose(0.0, 0.0, 1.0), torch.tensor([[3.0, 0.05, 0.05]])  # a long bar across the view
    (wide,) = project_boxes(FISHEYE, pose, size, image_size=(320, 240))
    (cut,) = project_boxes(FISHEYE, pose, size, image_size=(320, 240), valid_radius=60.0)
    principal = FISHEYE.params[1:3].numpy()
    reach = lambda box: max(np.linalg.norm(p - principal, axis=1).max() for p in box.polylines)  # noqa: E731
    assert reach(wide) > 100
    assert reach(cut) <= 60.0


def test_fisheye_points_past_the_lens_models_fold_are_left_out() -> None:
    # A strongly negative k0 makes the radial polynomial turn back at about 39 degrees.
    folding = CameraModel(
        "CameraModelType.FISHEYE624", torch.tensor([150.0, 160.0, 120.0, -0.5] + [0.0] * 11)
    )
    pose, size = _pose(0.0, 0.0, 1.0), torch.tensor([[6.0, 0.05, 0.05]])  # reaches ~72 degrees off axis
    (box,) = project_boxes(folding, pose, size, image_size=(320, 240), samples_per_edge=201)
    kept = np.concatenate(box.polylines)
    radius = np.linalg.norm(kept - np.array([160.0, 120.0]), axis=1)
    # r = f * theta * (1 - 0.5 theta^2) peaks at theta = sqrt(2/3): beyond it nothing is drawn.
    theta = math.sqrt(2 / 3)
    assert radius.max() <= 150 * theta * (1 - 0.5 * theta**2) + 1e-6


bounds_values = st.floats(-1e4, 1e4, allow_nan=False)


@given(st.tuples(bounds_values, bounds_values), st.tuples(bounds_values, bounds_values))
def test_clipped_segments_stay_inside_and_on_the_segment(
    start: tuple[float, float], end: tuple[float, float]
) -> None:
    bounds = (-10.0, -20.0, 300.0, 200.0)
    a, b = np.array(start), np.array(end)
    clipped = clip_segment(a, b, bounds)
    if clipped is None:
        # Nothing of the segment is inside: its midpoint and ends are not either.
        for t in (0.0, 0.5, 1.0):
            p = a + t * (b - a)
            assert not (bounds[0] < p[0] < bounds[2] and bounds[1] < p[1] < bounds[3])
        return
    for p in clipped:
        assert bounds[0] - 1e-6 <= p[0] <= bounds[2] + 1e-6
        assert bounds[1] - 1e-6 <= p[1] <= bounds[3] + 1e-6
        # On the original segment: collinear with it.
        span = max(float(np.linalg.norm(b - a)), 1e-12)
        assert abs(_cross(b - a, p - a)) / span < 1e-6 * max(1.0, span)
