"""Build ATEK samples (the flat dict the store ships) from renderings of a synthetic scene.

cubercnn-style samples hold one RGB frame with obb3 and obb2 ground truth; efm-style samples hold
several frames of the RGB and both SLAM cameras, depth, semidense points and per-frame obb3 GT.
The 2D boxes are the projections of the 3D boxes' corners, so the two kinds of GT agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from atek_store.geometry.cameras import LINEAR
from atek_store.synthetic.render import Rendering, render_view
from atek_store.synthetic.rig import SyntheticCamera, t_world_device
from atek_store.synthetic.scene import GRAVITY_IN_WORLD, Scene

__all__ = ["FrameTime", "camera_fields", "cubercnn_sample", "efm_sample", "obb_ground_truth"]

_MIN_CORNER_DEPTH = 0.1


@dataclass(frozen=True)
class FrameTime:
    """When a frame was captured: device time in ns and the frame's number in its stream."""

    timestamp_ns: int
    frame_id: int

    @property
    def seconds(self) -> float:
        """Device time in seconds."""
        return self.timestamp_ns * 1e-9


def _compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.concatenate([a[:, :3] @ b[:, :3], (a[:, :3] @ b[:, 3:]) + a[:, 3:]], axis=1)


def _world_camera(camera: SyntheticCamera, time: FrameTime) -> np.ndarray:
    return _compose(t_world_device(time.seconds), camera.t_device_camera)


def obb_ground_truth(
    scene: Scene, camera: SyntheticCamera, t_world_camera: np.ndarray, rendering: Rendering
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(obb3, obb2)`` dicts of one camera: the boxes in front of it with at least one visible pixel.

    obb2 ``box_ranges`` are ``[xmin, xmax, ymin, ymax]``: the projected corners' bounds clamped to
    the image; ``visibility_ratios`` are visible over unoccluded pixels.
    """
    rotation, origin = t_world_camera[:, :3], t_world_camera[:, 3]
    chosen, ranges, ratios = [], [], []
    for index, box in enumerate(scene.boxes):
        if rendering.visible_pixels[index] == 0:
            continue
        corners = (box.corners_world() - origin) @ rotation  # camera frame
        if (corners[:, 2] < _MIN_CORNER_DEPTH).any():
            continue
        u = camera.fx * corners[:, 0] / corners[:, 2] + camera.cx
        v = camera.fy * corners[:, 1] / corners[:, 2] + camera.cy
        ranges.append(
            [
                np.clip(u.min(), 0, camera.width - 1),
                np.clip(u.max(), 0, camera.width - 1),
                np.clip(v.min(), 0, camera.height - 1),
                np.clip(v.max(), 0, camera.height - 1),
            ]
        )
        ratios.append(rendering.visible_pixels[index] / max(1, rendering.covered_pixels[index]))
        chosen.append(box)
    ids = torch.tensor([b.instance_id for b in chosen], dtype=torch.int64)
    categories = torch.tensor([b.category_id for b in chosen], dtype=torch.int64)
    names = [b.category_name for b in chosen]
    obb3 = {
        "instance_ids": ids,
        "category_ids": categories,
        "category_names": names,
        "object_dimensions": torch.tensor([b.dimensions for b in chosen], dtype=torch.float32).reshape(-1, 3),
        "ts_world_object": torch.tensor(
            np.array([b.t_world_object for b in chosen]), dtype=torch.float32
        ).reshape(-1, 3, 4),
    }
    obb2 = {
        "instance_ids": ids.clone(),
        "category_ids": categories.clone(),
        "category_names": list(names),
        "box_ranges": torch.tensor(ranges, dtype=torch.float32).reshape(-1, 4),
        "visibility_ratios": torch.tensor(ratios, dtype=torch.float32),
    }
    return obb3, obb2


def camera_fields(camera: SyntheticCamera, times: list[FrameTime], images: np.ndarray) -> dict[str, Any]:
    """The ``mfcd#<camera>+...`` entries for frames ``images`` (``[F, C, H, W]`` uint8)."""
    prefix = f"mfcd#{camera.label}+"
    count = len(times)
    return {
        f"{prefix}images": torch.from_numpy(np.ascontiguousarray(images)),
        f"{prefix}capture_timestamps_ns": torch.tensor([t.timestamp_ns for t in times], dtype=torch.int64),
        f"{prefix}frame_ids": torch.tensor([t.frame_id for t in times], dtype=torch.int64),
        f"{prefix}exposure_durations_s": torch.full((count,), 0.008, dtype=torch.float32),
        f"{prefix}gains": torch.full((count,), 2.0, dtype=torch.float32),
        f"{prefix}camera_label": camera.label,
        f"{prefix}t_device_camera": torch.tensor(camera.t_device_camera, dtype=torch.float32),
        f"{prefix}camera_model_name": LINEAR,
        f"{prefix}projection_params": torch.tensor(camera.projection_params, dtype=torch.float32),
        f"{prefix}origin_camera_label": "camera-slam-left",
    }


def _trajectory(times: list[FrameTime]) -> dict[str, Any]:
    poses = np.array([t_world_device(t.seconds) for t in times])
    return {
        "mtd#ts_world_device": torch.tensor(poses, dtype=torch.float32),
        "mtd#capture_timestamps_ns": torch.tensor([t.timestamp_ns for t in times], dtype=torch.int64),
        "mtd#gravity_in_world": torch.tensor(GRAVITY_IN_WORLD, dtype=torch.float32),
    }


def cubercnn_sample(
    scene: Scene, camera: SyntheticCamera, time: FrameTime, sequence_name: str
) -> dict[str, Any] | None:
    """A one-frame RGB sample with obb3 + obb2 GT; None when no object is visible (as the original drops)."""
    pose = _world_camera(camera, time)
    rendering = render_view(scene, camera, pose)
    obb3, obb2 = obb_ground_truth(scene, camera, pose, rendering)
    if len(obb2["category_names"]) == 0:
        return None
    return {
        **camera_fields(camera, [time], rendering.image[None]),
        **_trajectory([time]),
        "gt_data": {"obb3_gt": {camera.label: obb3}, "obb2_gt": {camera.label: obb2}},
        "sequence_name": sequence_name,
    }


def _semidense(
    rendering: Rendering, pose: np.ndarray, camera: SyntheticCamera, rng: np.random.Generator, step: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    rows, cols = np.mgrid[step // 2 : camera.height : step, step // 2 : camera.width : step]
    rows, cols = rows.ravel(), cols.ravel()
    z = rendering.z_depth[rows, cols].astype(np.float64)
    points_camera = np.stack(
        [(cols - camera.cx) / camera.fx * z, (rows - camera.cy) / camera.fy * z, z], axis=1
    )
    points_world = points_camera @ pose[:, :3].T + pose[:, 3]
    distance = rendering.distance[rows, cols].astype(np.float64)
    inv_dist_std = rng.uniform(0.0005, 0.01, size=len(z))
    order = np.argsort(inv_dist_std, kind="stable")  # MPS lists points by ascending inverse-distance std
    return (
        torch.tensor(points_world[order], dtype=torch.float32),
        torch.tensor((inv_dist_std * distance**2)[order], dtype=torch.float32),
        torch.tensor(inv_dist_std[order], dtype=torch.float32),
    )


def efm_sample(
    scene: Scene,
    cameras: dict[str, SyntheticCamera],
    times: list[FrameTime],
    sequence_name: str,
    rng: np.random.Generator,
    *,
    semidense_step: int = 24,
) -> dict[str, Any]:
    """A multi-frame sample of every rig camera, depth (distance, metres), semidense points and efm GT.

    Each camera has ``camera_valid_radius`` as in real efm shards.
    """
    sample: dict[str, Any] = {}
    efm_gt: dict[str, dict[str, Any]] = {}
    depth: list[np.ndarray] = []
    points: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
    for camera in cameras.values():
        frames = []
        for time in times:
            pose = _world_camera(camera, time)
            rendering = render_view(scene, camera, pose)
            frames.append(rendering.image)
            obb3, _ = obb_ground_truth(scene, camera, pose, rendering)
            if obb3["category_names"]:
                efm_gt.setdefault(str(time.timestamp_ns), {})[camera.label] = obb3
            if camera.label == "camera-rgb":
                depth.append(rendering.distance)
                points.append(_semidense(rendering, pose, camera, rng, semidense_step))
        sample.update(camera_fields(camera, times, np.stack(frames)))
        # efm shards carry each camera's valid image radius (cubercnn ones do not).
        sample[f"mfcd#{camera.label}+camera_valid_radius"] = torch.tensor(
            [camera.valid_radius], dtype=torch.float32
        )
    rgb = cameras["camera-rgb"]
    sample.update(
        {
            "mfcd#camera-rgb-depth+images": torch.from_numpy(np.stack(depth)[:, None]),
            "mfcd#camera-rgb-depth+capture_timestamps_ns": torch.tensor([t.timestamp_ns for t in times]),
            "mfcd#camera-rgb-depth+frame_ids": torch.tensor([t.frame_id for t in times]),
            "mfcd#camera-rgb-depth+camera_label": f"{rgb.label}-depth",
        }
    )
    sample.update(_trajectory(times))
    room_min = torch.tensor(scene.room.minimum, dtype=torch.float32)
    room_max = torch.tensor(scene.room.maximum, dtype=torch.float32)
    sample.update(
        {
            "msdpd#points_world": [p[0] for p in points],
            "msdpd#points_dist_std": [p[1] for p in points],
            "msdpd#points_inv_dist_std": [p[2] for p in points],
            "msdpd#capture_timestamps_ns": torch.tensor([t.timestamp_ns for t in times], dtype=torch.int64),
            "msdpd#points_volumn_min": room_min,
            "msdpd#points_volumn_max": room_max,
            "gt_data": {"efm_gt": efm_gt},
            "sequence_name": sequence_name,
        }
    )
    return sample
