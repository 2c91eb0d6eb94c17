"""The frames of a decoded sample, each with what is needed to draw on it: calibration, pose and GT.

A sample holds F frames of each camera. Frame f of a camera sits at ``T_world_device[f] @
T_device_camera``. Its ground truth is ``obb3_gt``/``obb2_gt`` of the camera (cubercnn and obb
configs; one time per sample, drawn on frame 0) or ``efm_gt[<rgb timestamp of frame f>][camera]``
(efm configs). Depth frames use the rgb calibration and carry no GT of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

from atek_store.errors import FormatError
from atek_store.geometry import CameraModel, compose

__all__ = ["CAMERA_ORDER", "FrameView", "camera_labels", "frame_views"]

# How cameras are laid out left to right (others follow, sorted).
CAMERA_ORDER = ("camera-rgb", "camera-slam-left", "camera-slam-right", "camera-rgb-depth")
DEPTH_CAMERA = "camera-rgb-depth"
RGB_CAMERA = "camera-rgb"


@dataclass(frozen=True)
class FrameView:
    """One frame of one camera, with its calibration, pose and ground truth where the sample has them."""

    camera: str
    frame: int
    image: torch.Tensor  # [C, H, W]: uint8 for cameras, float32 metres for depth
    model: CameraModel | None
    valid_radius: float | None  # pixels around the principal point that see the scene (fisheye)
    t_world_camera: torch.Tensor | None  # float64 [3, 4]
    timestamp_ns: int | None
    obb3: Mapping[str, Any] | None
    obb2: Mapping[str, Any] | None

    @property
    def is_depth(self) -> bool:
        """Whether the frame is a depth map rather than an image."""
        return self.image.dtype.is_floating_point

    @property
    def height(self) -> int:
        """Rows."""
        return int(self.image.shape[-2])

    @property
    def width(self) -> int:
        """Columns."""
        return int(self.image.shape[-1])


def camera_labels(labels: list[str] | tuple[str, ...] | Any) -> list[str]:
    """Camera labels in display order: rgb, slam left, slam right, depth, then any others sorted."""
    known = [label for label in CAMERA_ORDER if label in labels]
    return known + sorted(label for label in labels if label not in CAMERA_ORDER)


def _tensor(sample: Mapping[str, Any], key: str) -> torch.Tensor | None:
    value = sample.get(key)
    return value if isinstance(value, torch.Tensor) else None


def _efm_key(
    gt: Mapping[str, Any], rgb_timestamps: torch.Tensor | None, frame: int, frames: int
) -> str | None:
    if rgb_timestamps is not None and frame < rgb_timestamps.numel():
        key = str(int(rgb_timestamps[frame]))
        if key in gt:
            return key
    # No rgb timestamps to match: the GT keys are the frames' times, so their order is the frames'.
    keys = sorted(gt, key=lambda k: int(k) if str(k).isdigit() else 0)
    return str(keys[frame]) if len(keys) == frames else None


def _camera_gt(
    gt_data: Mapping[str, Any], camera: str, frame: int, frames: int, rgb_timestamps: torch.Tensor | None
) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
    efm = gt_data.get("efm_gt")
    if isinstance(efm, Mapping) and efm:
        key = _efm_key(efm, rgb_timestamps, frame, frames)
        cameras = efm.get(key) if key is not None else None
        obb3 = cameras.get(camera) if isinstance(cameras, Mapping) else None
        return (obb3 if isinstance(obb3, Mapping) else None), None
    if frame != 0:
        return None, None
    found = []
    for group in ("obb3_gt", "obb2_gt"):
        by_camera = gt_data.get(group)
        entry = by_camera.get(camera) if isinstance(by_camera, Mapping) else None
        found.append(entry if isinstance(entry, Mapping) else None)
    return found[0], found[1]


def frame_views(sample: Mapping[str, Any]) -> list[list[FrameView]]:
    """``views[f][c]``: frame f of the c-th camera (in :func:`camera_labels` order).

    Raises:
        FormatError: an image stack is not ``[F, C, H, W]``, or a calibration is malformed.
    """
    stacks = {
        key[len("mfcd#") : -len("+images")]: value
        for key, value in sample.items()
        if key.startswith("mfcd#") and key.endswith("+images") and isinstance(value, torch.Tensor)
    }
    where = sample.get("__url__")
    for label, stack in stacks.items():
        if stack.dim() != 4:
            raise FormatError(
                f"sample {sample.get('__key__')!r}: mfcd#{label}+images has shape {list(stack.shape)}, "
                "expected [frames, channels, height, width]",
                shard=str(where) if where else None,
            )
    gt_data = sample.get("gt_data")
    gt = gt_data if isinstance(gt_data, Mapping) else {}
    ts_world_device = _tensor(sample, "mtd#ts_world_device")
    rgb_timestamps = _tensor(sample, f"mfcd#{RGB_CAMERA}+capture_timestamps_ns")
    frames = max((int(stack.shape[0]) for stack in stacks.values()), default=0)
    rows: list[list[FrameView]] = [[] for _ in range(frames)]
    for label in camera_labels(list(stacks)):
        stack = stacks[label]
        # Depth frames are taken through the rgb camera's calibration.
        calibrated = RGB_CAMERA if label == DEPTH_CAMERA else label
        name = sample.get(f"mfcd#{calibrated}+camera_model_name")
        params = _tensor(sample, f"mfcd#{calibrated}+projection_params")
        model = CameraModel(name, params) if isinstance(name, str) and params is not None else None
        radius = _tensor(sample, f"mfcd#{calibrated}+camera_valid_radius")
        t_device_camera = _tensor(sample, f"mfcd#{calibrated}+t_device_camera")
        timestamps = _tensor(sample, f"mfcd#{label}+capture_timestamps_ns")
        for frame in range(int(stack.shape[0])):
            pose = None
            if (
                ts_world_device is not None
                and t_device_camera is not None
                and frame < ts_world_device.shape[0]
            ):
                pose = compose(ts_world_device[frame].to(torch.float64), t_device_camera.to(torch.float64))
            obb3, obb2 = (
                (None, None)
                if label == DEPTH_CAMERA
                else _camera_gt(gt, label, frame, frames, rgb_timestamps)
            )
            rows[frame].append(
                FrameView(
                    camera=label,
                    frame=frame,
                    image=stack[frame],
                    model=model,
                    valid_radius=float(radius.reshape(-1)[0])
                    if radius is not None and radius.numel()
                    else None,
                    t_world_camera=pose,
                    timestamp_ns=int(timestamps[frame])
                    if timestamps is not None and frame < timestamps.numel()
                    else None,
                    obb3=obb3,
                    obb2=obb2,
                )
            )
    return rows
