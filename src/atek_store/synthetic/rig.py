"""The synthetic device: its cameras and where it walks.

Like Aria glasses, the device frame is the left SLAM camera's frame (``t_device_camera`` of
``camera-slam-left`` is the identity). The left SLAM camera looks 25 degrees left of the head's
forward direction, the RGB camera straight ahead, the right SLAM camera 25 degrees right.
Cameras are x right, y down, z forward.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SyntheticCamera", "camera_rig", "head_pose", "t_world_device"]

_SLAM_YAW = np.deg2rad(25.0)


def _rotation_y(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _pose(rotation: np.ndarray, translation: tuple[float, float, float]) -> np.ndarray:
    return np.concatenate([rotation, np.asarray(translation, dtype=np.float64).reshape(3, 1)], axis=1)


@dataclass(frozen=True)
class SyntheticCamera:
    """A LINEAR (pinhole) camera of the rig."""

    label: str
    width: int
    height: int
    fx: float
    fy: float
    channels: int  # 3 for rgb, 1 for slam
    t_device_camera: np.ndarray  # float64 [3, 4]

    @property
    def cx(self) -> float:
        """Principal point x at the image centre, ``(W - 1) / 2`` as ATEK's linear cameras have it."""
        return (self.width - 1) / 2.0

    @property
    def cy(self) -> float:
        """Principal point y, ``(H - 1) / 2``."""
        return (self.height - 1) / 2.0

    @property
    def valid_radius(self) -> float:
        """Pixels within this distance of the principal point are valid: all of them (no vignette).

        Real efm shards store it per camera (``camera_valid_radius``, the fisheye image circle);
        EFM3D's reader needs it.
        """
        return float(
            np.hypot(max(self.cx, self.width - 1 - self.cx), max(self.cy, self.height - 1 - self.cy))
        )

    @property
    def projection_params(self) -> tuple[float, float, float, float]:
        """``(fx, fy, cx, cy)`` as stored in ``projection_params``."""
        return (self.fx, self.fy, self.cx, self.cy)


def _camera(
    label: str, width: int, height: int, hfov_deg: float, channels: int, pose: np.ndarray
) -> SyntheticCamera:
    focal = (width / 2.0) / np.tan(np.deg2rad(hfov_deg) / 2.0)
    return SyntheticCamera(label, width, height, float(focal), float(focal), channels, pose)


def camera_rig(*, rgb_size: tuple[int, int], slam_size: tuple[int, int] | None) -> dict[str, SyntheticCamera]:
    """The rig's cameras by label; ``slam_size=None`` gives an RGB-only rig. Sizes are ``(W, H)``."""
    # Device frame = slam-left. The head looks _SLAM_YAW to the right of slam-left.
    rgb = _camera("camera-rgb", *rgb_size, 90.0, 3, _pose(_rotation_y(_SLAM_YAW), (0.055, -0.01, 0.01)))
    cameras = {rgb.label: rgb}
    if slam_size is not None:
        cameras["camera-slam-left"] = _camera(
            "camera-slam-left", *slam_size, 110.0, 1, _pose(np.eye(3), (0, 0, 0))
        )
        cameras["camera-slam-right"] = _camera(
            "camera-slam-right", *slam_size, 110.0, 1, _pose(_rotation_y(2 * _SLAM_YAW), (0.11, 0.0, 0.0))
        )
    return cameras


def head_pose(time_s: float, *, radius: float = 0.9, height: float = 1.55, speed: float = 0.35) -> np.ndarray:
    """``T_world_head`` at a time: circling the room's centre, looking outwards and a bit down."""
    angle = speed * time_s
    position = np.array(
        [radius * np.cos(angle), height + 0.03 * np.sin(3.1 * time_s), radius * np.sin(angle)]
    )
    forward = np.array([np.cos(angle + 0.6), -0.25, np.sin(angle + 0.6)])
    forward /= np.linalg.norm(forward)
    down = np.array([0.0, -1.0, 0.0])
    down = down - forward * (down @ forward)
    down /= np.linalg.norm(down)
    right = np.cross(down, forward)
    rotation = np.stack([right, down, forward], axis=1)
    return np.concatenate([rotation, position.reshape(3, 1)], axis=1)


def t_world_device(time_s: float) -> np.ndarray:
    """``T_world_device`` at a time, placed so that the RGB camera is at the head pose."""
    head = head_pose(time_s)
    rgb = camera_rig(rgb_size=(2, 2), slam_size=None)["camera-rgb"].t_device_camera
    # T_world_device = T_world_rgb @ inverse(T_device_rgb)
    rotation = head[:, :3] @ rgb[:, :3].T
    position = head[:, 3] - rotation @ rgb[:, 3]
    return np.concatenate([rotation, position.reshape(3, 1)], axis=1)
