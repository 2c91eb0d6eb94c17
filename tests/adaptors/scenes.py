"""Synthetic cubercnn samples with boxes placed exactly where a test wants them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from atek_store.categories import category_name
from atek_store.synthetic import FrameTime, Room, Scene, SceneBox, camera_rig, cubercnn_sample, t_world_device

TIME = FrameTime(timestamp_ns=1_000_000_000_000, frame_id=0)
RGB = camera_rig(rgb_size=(320, 320), slam_size=None)["camera-rgb"]
# Large enough that every placed box stands inside it.
BIG_ROOM = Room(width=60.0, height=30.0, depth=60.0)


@dataclass(frozen=True)
class Placement:
    """A camera-aligned box: its centre's pixel and depth, its size, its category."""

    instance_id: int
    pixel: tuple[float, float]
    depth: float
    dimensions: tuple[float, float, float]
    category_id: int = 1  # chair
    yaw: float = 0.0  # radians about the camera's y axis (0: aligned with the camera)

    def t_camera_object(self) -> np.ndarray:
        u, v = self.pixel
        x = (u - RGB.cx) / RGB.fx * self.depth
        y = (v - RGB.cy) / RGB.fy * self.depth
        c, s = np.cos(self.yaw), np.sin(self.yaw)
        rotation = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
        return np.concatenate([rotation, np.array([[x], [y], [self.depth]])], axis=1)

    def corners_camera(self) -> np.ndarray:
        """``[8, 3]`` corners in the camera frame, corner i with signs from bits (4, 2, 1) of i."""
        pose = self.t_camera_object()
        signs = np.array([[(i >> 2) & 1, (i >> 1) & 1, i & 1] for i in range(8)], dtype=np.float64) * 2 - 1
        local = signs * np.asarray(self.dimensions) / 2
        corners: np.ndarray = local @ pose[:, :3].T + pose[:, 3]
        return corners


def t_world_camera() -> np.ndarray:
    device = t_world_device(TIME.seconds)
    rgb = RGB.t_device_camera
    rotation = device[:, :3] @ rgb[:, :3]
    return np.concatenate([rotation, (device[:, :3] @ rgb[:, 3:]) + device[:, 3:]], axis=1)


def scene_of(placements: list[Placement]) -> Scene:
    world = t_world_camera()
    boxes = []
    for place in placements:
        local = place.t_camera_object()
        pose = np.concatenate(
            [world[:, :3] @ local[:, :3], world[:, :3] @ local[:, 3:] + world[:, 3:]], axis=1
        )
        boxes.append(
            SceneBox(
                place.instance_id, place.category_id, category_name(place.category_id), place.dimensions, pose
            )
        )
    return Scene(room=BIG_ROOM, boxes=tuple(boxes))


def sample_of(placements: list[Placement], key: str = "synthetic_AtekDataSample_000000") -> dict[str, Any]:
    sample = cubercnn_sample(scene_of(placements), RGB, TIME, "synthetic_seq")
    assert sample is not None, "no placed box is visible"
    return {"__key__": key, "__url__": "synthetic://placed", **sample}
