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

    def t_camera_object(self) -> np.ndarray:
        u, v = self.pixel
        x = (u - RGB.cx) / RGB.fx * self.depth
        y = (v - RGB.cy) / RGB.fy * self.depth
        return np.concatenate([np.eye(3), np.array([[x], [y], [self.depth]])], axis=1)


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
