"""3D boxes as image-space wireframes, through a LINEAR or a FISHEYE624 camera.

Each of a box's 12 edges is clipped to the part in front of the camera, sampled at points along
it (two for a pinhole camera, whose edges stay straight; many for a fisheye, whose edges curve),
and projected with :class:`~atek_store.geometry.CameraModel`. Points the lens cannot see are left
out and break the line: behind the camera, beyond the angle where the fisheye model stops being
monotonic (past it the polynomial folds back into the image), or outside the valid image circle.
Finally every segment is clipped to the image (plus a margin), so drawing never sees huge numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from atek_store.geometry import FISHEYE624, LINEAR, CameraModel

__all__ = ["BOX_EDGES", "ProjectedBox", "box_corners", "clip_segment", "project_boxes"]

# Corner i has signs (x, y, z) from bits (4, 2, 1) of i; an edge joins corners one bit apart.
BOX_EDGES: tuple[tuple[int, int], ...] = tuple(
    (i, i ^ bit) for i in range(8) for bit in (4, 2, 1) if i < i ^ bit
)
_SIGNS = torch.tensor([[(i >> 2) & 1, (i >> 1) & 1, i & 1] for i in range(8)], dtype=torch.float64) * 2 - 1
_NEAR = 1e-2  # metres: edges are cut where they come closer to the camera plane than this
_FISHEYE_SAMPLES = 33
_MARGIN = 64  # pixels beyond the image that polylines are kept to


@dataclass(frozen=True)
class ProjectedBox:
    """One box's visible wireframe in image pixels, and a point to anchor its label."""

    index: int  # position of the box in the ground truth lists
    polylines: tuple[np.ndarray, ...]  # each [K, 2] float64, K >= 2
    anchor: tuple[float, float] | None  # the topmost visible point inside the image


def box_corners(ts_camera_object: torch.Tensor, dimensions: torch.Tensor) -> torch.Tensor:
    """``[N, 8, 3]`` corners in the camera frame of boxes centred on their object frames."""
    local = _SIGNS * dimensions.to(torch.float64)[:, None, :] / 2  # [N, 8, 3]
    poses = ts_camera_object.to(torch.float64)
    return local @ poses[:, :, :3].transpose(1, 2) + poses[:, None, :, 3]


def _max_fisheye_angle(params: torch.Tensor) -> float:
    """The angle from the optical axis up to which the radial polynomial keeps increasing."""
    theta = torch.linspace(0.0, math.pi / 2, 4096, dtype=torch.float64)
    theta2 = theta * theta
    radial = torch.ones_like(theta)
    power = torch.ones_like(theta)
    for coefficient in params.to(torch.float64)[3:9]:
        power = power * theta2
        radial = radial + coefficient * power
    distorted = theta * radial
    falling = torch.nonzero(distorted[1:] <= distorted[:-1])
    return float(theta[int(falling[0])]) if falling.numel() else math.pi / 2


def clip_segment(
    start: np.ndarray, end: np.ndarray, bounds: tuple[float, float, float, float]
) -> tuple[np.ndarray, np.ndarray] | None:
    """The part of a 2D segment inside ``(xmin, ymin, xmax, ymax)`` (Liang-Barsky), or None."""
    delta = end - start
    low, high = 0.0, 1.0
    for p, q in (
        (-delta[0], start[0] - bounds[0]),
        (delta[0], bounds[2] - start[0]),
        (-delta[1], start[1] - bounds[1]),
        (delta[1], bounds[3] - start[1]),
    ):
        if abs(p) < 1e-12:  # (next to) parallel to this edge: a vanishing p would overflow q / p
            if q < 0:
                return None
            continue
        ratio = q / p
        if p < 0:
            low = max(low, ratio)
        else:
            high = min(high, ratio)
        if low > high:
            return None
    return start + low * delta, start + high * delta


def _clipped_runs(
    points: np.ndarray, keep: np.ndarray, bounds: tuple[float, float, float, float]
) -> list[np.ndarray]:
    """Split sampled points at dropped ones, clip each segment to ``bounds``, join what stays connected."""
    joined = keep[:-1] & keep[1:]
    if not joined.any():
        return []
    inside = (
        (points[:, 0] >= bounds[0])
        & (points[:, 0] <= bounds[2])
        & (points[:, 1] >= bounds[1])
        & (points[:, 1] <= bounds[3])
    )
    if inside[keep].all():
        # The common case (always for fisheye): nothing to clip, runs of joined segments are the polylines.
        steps = np.diff(np.concatenate([[0], joined.astype(np.int8), [0]]))
        starts, ends = np.flatnonzero(steps == 1), np.flatnonzero(steps == -1)
        return [points[start : end + 1] for start, end in zip(starts, ends, strict=True)]
    runs: list[np.ndarray] = []
    current: list[np.ndarray] = []
    for k in range(len(joined)):
        clipped = clip_segment(points[k], points[k + 1], bounds) if joined[k] else None
        if clipped is None:
            if len(current) >= 2:
                runs.append(np.array(current))
            current = []
            continue
        first, second = clipped
        if current and np.array_equal(current[-1], first):
            current.append(second)
        else:
            if len(current) >= 2:
                runs.append(np.array(current))
            current = [first, second]
    if len(current) >= 2:
        runs.append(np.array(current))
    return runs


def project_boxes(
    model: CameraModel,
    ts_camera_object: torch.Tensor,
    dimensions: torch.Tensor,
    *,
    image_size: tuple[int, int],
    valid_radius: float | None = None,
    samples_per_edge: int | None = None,
) -> list[ProjectedBox]:
    """The wireframes of N boxes (``[N, 3, 4]`` poses in the camera frame, ``[N, 3]`` sizes).

    Args:
        model: the camera's model.
        ts_camera_object: ``T_camera_object`` of each box (object frame at the box centre).
        dimensions: box extents along the object's x, y, z in metres.
        image_size: ``(width, height)`` of the image.
        valid_radius: pixels around the principal point that see the scene, if known (FISHEYE624 only).
        samples_per_edge: points per edge; default 2 for LINEAR (straight edges), 33 for FISHEYE624.
    """
    count = int(ts_camera_object.shape[0])
    if count == 0:
        return []
    width, height = image_size
    samples = samples_per_edge or (2 if model.model_name == LINEAR else _FISHEYE_SAMPLES)
    corners = box_corners(ts_camera_object, dimensions)
    edges = torch.tensor(BOX_EDGES)
    start, end = corners[:, edges[:, 0]], corners[:, edges[:, 1]]  # [N, 12, 3]
    z0, z1 = start[..., 2], end[..., 2]
    # Keep the part of each edge with z >= _NEAR: t in [low, high] of start + t (end - start).
    dz = z1 - z0
    crossing = (_NEAR - z0) / torch.where(dz == 0, torch.ones_like(dz), dz)
    low = torch.where(z0 >= _NEAR, torch.zeros_like(z0), crossing).clamp(0, 1)
    high = torch.where(z1 >= _NEAR, torch.ones_like(z1), crossing).clamp(0, 1)
    seen = (z0 >= _NEAR) | (z1 >= _NEAR)
    t = torch.linspace(0.0, 1.0, samples, dtype=torch.float64)
    t = low[..., None] + (high - low)[..., None] * t  # [N, 12, S]
    points = start[..., None, :] + t[..., None] * (end - start)[..., None, :]  # [N, 12, S, 3]
    projection = model.project(points)
    keep = projection.in_front & seen[..., None] & (points[..., 2] >= _NEAR * (1 - 1e-9))
    pixels = projection.pixels
    if model.model_name == FISHEYE624:
        lateral = torch.linalg.vector_norm(points[..., :2], dim=-1)
        keep &= torch.atan2(lateral, points[..., 2]) <= _max_fisheye_angle(model.params)
    if valid_radius is not None and model.model_name == FISHEYE624:
        # The fisheye's valid image circle, centred on the principal point as projectaria-tools checks
        # visibility. A pinhole image has no such circle (synthetic efm samples still carry a radius,
        # covering the whole image, and cutting their straight two-point edges at it would drop them).
        centre = model.params.to(torch.float64)[1:3]
        keep &= torch.linalg.vector_norm(pixels - centre, dim=-1) <= valid_radius
    keep &= torch.isfinite(pixels).all(dim=-1)

    bounds = (-_MARGIN, -_MARGIN, width - 1 + _MARGIN, height - 1 + _MARGIN)
    pixels_np, keep_np = pixels.numpy(), keep.numpy()
    boxes = []
    for n in range(count):
        polylines: list[np.ndarray] = []
        for e in range(len(BOX_EDGES)):
            polylines += _clipped_runs(pixels_np[n, e], keep_np[n, e], bounds)
        anchor = None
        if polylines:
            stacked = np.concatenate(polylines)
            inside = stacked[
                (stacked[:, 0] >= 0)
                & (stacked[:, 0] <= width - 1)
                & (stacked[:, 1] >= 0)
                & (stacked[:, 1] <= height - 1)
            ]
            if len(inside):
                top = inside[np.argmin(inside[:, 1])]
                anchor = (float(top[0]), float(top[1]))
        boxes.append(ProjectedBox(index=n, polylines=tuple(polylines), anchor=anchor))
    return boxes
