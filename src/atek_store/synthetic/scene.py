"""A room full of 3D boxes: the world that synthetic Aria recordings look at.

The world is y-up (gravity ``[0, -9.81, 0]``, as in Aria Digital Twin); the floor is ``y = 0``.
Each object is an oriented box whose frame sits at the box centre, so ``T_world_object`` and its
``dimensions`` (x, y, z extents in metres) are exactly the obb3 ground truth of ATEK.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from atek_store.categories import category_id

__all__ = ["GRAVITY_IN_WORLD", "Room", "Scene", "SceneBox", "random_scene"]

GRAVITY_IN_WORLD = (0.0, -9.81, 0.0)

# Typical sizes (x, y, z in metres) of things found in rooms, by ATEK category name.
_FURNITURE: dict[str, tuple[float, float, float]] = {
    "chair": (0.5, 0.9, 0.5),
    "table": (1.4, 0.75, 0.8),
    "sofa": (1.9, 0.8, 0.9),
    "bed": (1.6, 0.5, 2.0),
    "cabinet": (0.8, 1.0, 0.45),
    "lamp": (0.35, 1.5, 0.35),
    "plant": (0.4, 0.8, 0.4),
    "box": (0.45, 0.35, 0.4),
    "bin": (0.3, 0.4, 0.3),
    "bookcase": (0.9, 1.8, 0.35),
    "refrigerator": (0.7, 1.8, 0.7),
    "dresser": (1.0, 0.9, 0.5),
    "night stand": (0.45, 0.55, 0.4),
    "display": (0.9, 0.55, 0.12),
    "shelves": (1.0, 1.2, 0.3),
    "exercise_weight": (0.3, 0.2, 0.3),
}


@dataclass(frozen=True)
class SceneBox:
    """One object: an oriented box with an instance id and an ATEK category."""

    instance_id: int
    category_id: int
    category_name: str
    dimensions: tuple[float, float, float]
    t_world_object: np.ndarray  # float64 [3, 4], object frame at the box centre

    def corners_world(self) -> np.ndarray:
        """The 8 corners ``[8, 3]`` in world coordinates."""
        half = np.asarray(self.dimensions) / 2.0
        signs = np.array(
            [[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], dtype=np.float64
        )
        local = signs * half
        corners: np.ndarray = local @ self.t_world_object[:, :3].T + self.t_world_object[:, 3]
        return corners


@dataclass(frozen=True)
class Room:
    """The room: an axis-aligned box from the floor (y = 0) up to the ceiling."""

    width: float = 8.0  # along x
    height: float = 3.0  # along y
    depth: float = 8.0  # along z

    @property
    def minimum(self) -> np.ndarray:
        """Lower corner ``[3]``."""
        return np.array([-self.width / 2, 0.0, -self.depth / 2])

    @property
    def maximum(self) -> np.ndarray:
        """Upper corner ``[3]``."""
        return np.array([self.width / 2, self.height, self.depth / 2])


@dataclass(frozen=True)
class Scene:
    """A room and the boxes in it."""

    room: Room
    boxes: tuple[SceneBox, ...]


def _yaw_pose(x: float, y: float, z: float, yaw: float) -> np.ndarray:
    c, s = np.cos(yaw), np.sin(yaw)
    rotation = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    return np.concatenate([rotation, np.array([[x], [y], [z]])], axis=1)


def random_scene(rng: np.random.Generator, *, num_boxes: int = 14, room: Room | None = None) -> Scene:
    """Boxes of random furniture categories standing on the floor around the room's centre.

    The middle of the room (radius 1.6 m) is kept free: the synthetic device walks there.
    """
    room = room or Room()
    names = list(_FURNITURE)
    boxes: list[SceneBox] = []
    for index in range(num_boxes):
        name = names[int(rng.integers(len(names)))]
        size = np.asarray(_FURNITURE[name]) * rng.uniform(0.8, 1.2, size=3)
        radius = rng.uniform(2.0, min(room.width, room.depth) / 2 - 0.6)
        angle = rng.uniform(0, 2 * np.pi)
        pose = _yaw_pose(
            radius * np.cos(angle), size[1] / 2, radius * np.sin(angle), rng.uniform(0, 2 * np.pi)
        )
        boxes.append(
            SceneBox(
                instance_id=int(rng.integers(10**14, 10**15)) + index,
                category_id=category_id(name),
                category_name=name,
                dimensions=(float(size[0]), float(size[1]), float(size[2])),
                t_world_object=pose,
            )
        )
    return Scene(room=room, boxes=tuple(boxes))
