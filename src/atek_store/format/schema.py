"""A typed view of one ATEK sample, and its conversion to and from the flat sample dict.

:class:`AtekSample` mirrors the original's data sample (cameras, MPS trajectory, semidense points,
ground truth). ``to_dict()`` gives the flat dict that :class:`~atek_store.format.writer.ShardWriter`
writes and the loader yields; ``from_dict()`` reads one back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import torch

from atek_store.errors import IncompleteSampleError
from atek_store.format import keys as K

__all__ = ["AtekSample", "CameraFrames", "SemidensePoints", "Trajectory"]


@dataclass
class CameraFrames:
    """Frames of one camera (``mfcd#<label>+...``): images ``[F, C, H, W]`` and their calibration."""

    camera_label: str
    images: torch.Tensor | None = None
    capture_timestamps_ns: torch.Tensor | None = None
    frame_ids: torch.Tensor | None = None
    exposure_durations_s: torch.Tensor | None = None
    gains: torch.Tensor | None = None
    t_device_camera: torch.Tensor | None = None
    camera_model_name: str | None = None
    projection_params: torch.Tensor | None = None
    camera_valid_radius: torch.Tensor | None = None
    origin_camera_label: str | None = None


@dataclass
class Trajectory:
    """MPS closed-loop trajectory at the frames (``mtd#...``)."""

    ts_world_device: torch.Tensor
    capture_timestamps_ns: torch.Tensor
    gravity_in_world: torch.Tensor | None = None


@dataclass
class SemidensePoints:
    """Semidense points visible per frame (``msdpd#...``): one tensor per frame in each list."""

    points_world: list[torch.Tensor]
    points_dist_std: list[torch.Tensor]
    points_inv_dist_std: list[torch.Tensor]
    capture_timestamps_ns: torch.Tensor | None = None
    points_volumn_min: torch.Tensor | None = None
    points_volumn_max: torch.Tensor | None = None


@dataclass
class AtekSample:
    """One ATEK training sample."""

    sequence_name: str
    cameras: dict[str, CameraFrames] = field(default_factory=dict)
    trajectory: Trajectory | None = None
    semidense: SemidensePoints | None = None
    gt_data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The flat ATEK dict (keys lower-case; None and empty strings left out, like the original)."""
        flat: dict[str, Any] = {}
        for label, camera in self.cameras.items():
            for item in fields(camera):
                value = getattr(camera, item.name)
                if value is not None and value != "":
                    flat[K.camera_key(label, item.name)] = value
        for prefix, part in (("mtd#", self.trajectory), ("msdpd#", self.semidense)):
            if part is not None:
                for item in fields(part):
                    value = getattr(part, item.name)
                    if value is not None:
                        flat[f"{prefix}{item.name}"] = value
        flat[K.GT_DATA] = self.gt_data
        flat[K.SEQUENCE_NAME] = self.sequence_name
        return flat

    @classmethod
    def from_dict(cls, flat: Mapping[str, Any]) -> AtekSample:
        """Build a sample from a flat ATEK dict (as decoded or as built for writing)."""
        if K.SEQUENCE_NAME not in flat:
            raise IncompleteSampleError(f"sample {flat.get('__key__', '?')!r} has no sequence_name")
        cameras: dict[str, CameraFrames] = {}
        camera_fields = {item.name for item in fields(CameraFrames)}
        for key, value in flat.items():
            parts = K.split_camera_key(key)
            if parts is not None:
                label, name = parts
                if name in camera_fields:
                    camera = cameras.setdefault(label, CameraFrames(camera_label=label))
                    setattr(camera, name, value)
        trajectory = None
        if "mtd#ts_world_device" in flat:
            trajectory = Trajectory(
                ts_world_device=flat["mtd#ts_world_device"],
                capture_timestamps_ns=flat.get(
                    "mtd#capture_timestamps_ns", torch.zeros(0, dtype=torch.int64)
                ),
                gravity_in_world=flat.get("mtd#gravity_in_world"),
            )
        semidense = None
        if "msdpd#points_world" in flat:
            semidense = SemidensePoints(
                points_world=list(flat["msdpd#points_world"]),
                points_dist_std=list(flat.get("msdpd#points_dist_std", [])),
                points_inv_dist_std=list(flat.get("msdpd#points_inv_dist_std", [])),
                capture_timestamps_ns=flat.get("msdpd#capture_timestamps_ns"),
                points_volumn_min=flat.get("msdpd#points_volumn_min"),
                points_volumn_max=flat.get("msdpd#points_volumn_max"),
            )
        return cls(
            sequence_name=str(flat[K.SEQUENCE_NAME]),
            cameras=cameras,
            trajectory=trajectory,
            semidense=semidense,
            gt_data=dict(flat.get(K.GT_DATA, {})),
        )
