"""Sample builders: the stages combined into one ATEK sample per subsampler entry.

- :class:`ObbSampleBuilder` (``cubercnn`` / ``cubercnn_eval``): one frame per sample; cameras,
  trajectory, and ``gt_data = {"obb3_gt": ..., "obb2_gt": ...}``.
- :class:`EfmSampleBuilder` (``efm`` / ``efm_eval``): several frames per sample; cameras (with
  ``camera_valid_radius``), trajectory, semidense points, depth, and ``gt_data = {"efm_gt": ...}``.
  Every stage must deliver all frames of the sample, or the sample is dropped.

A stage that finds nothing within its tolerance drops the sample, with a reason that the pipeline
counts and reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from atek_store.format import AtekSample
from atek_store.preprocess.cameras import CameraProcessor
from atek_store.preprocess.depth import DepthProcessor
from atek_store.preprocess.ground_truth import GroundTruthProcessor
from atek_store.preprocess.semidense import SemidenseProcessor
from atek_store.preprocess.trajectory import TrajectoryProcessor

__all__ = ["Dropped", "EfmSampleBuilder", "ObbSampleBuilder"]


@dataclass(frozen=True)
class Dropped:
    """Why a subsampler entry gave no sample."""

    reason: str


@dataclass
class ObbSampleBuilder:
    """Single-frame samples with 2D and 3D boxes."""

    sequence_name: str
    cameras: Sequence[CameraProcessor]
    trajectory: TrajectoryProcessor | None = None
    ground_truth: GroundTruthProcessor | None = None

    def build(self, timestamps_ns: Sequence[int]) -> AtekSample | Dropped:
        """The sample at one main-camera time (a one-element list), or why there is none."""
        (timestamp,) = timestamps_ns
        sample = AtekSample(sequence_name=self.sequence_name)
        for camera in self.cameras:
            frames = camera.frames([timestamp])
            if frames is None:
                return Dropped(f"no {camera.label} frame within tolerance")
            sample.cameras[camera.label] = frames
        if self.trajectory is not None:
            poses = self.trajectory.poses([timestamp])
            if poses is None:
                return Dropped("no trajectory pose within tolerance")
            sample.trajectory = poses
        if self.ground_truth is not None:
            obb3 = self.ground_truth.obb3(timestamp)
            if obb3 is None:
                return Dropped("no 3D box ground truth")
            obb2 = self.ground_truth.obb2(timestamp)
            if obb2 is None:
                return Dropped("no 2D box ground truth")
            sample.gt_data = {"obb3_gt": obb3, "obb2_gt": obb2}
        return sample


@dataclass
class EfmSampleBuilder:
    """Multi-frame samples with depth, semidense points and per-frame 3D boxes."""

    sequence_name: str
    cameras: Sequence[CameraProcessor]
    trajectory: TrajectoryProcessor | None = None
    semidense: SemidenseProcessor | None = None
    depth: DepthProcessor | None = None
    ground_truth: GroundTruthProcessor | None = None

    def build(self, timestamps_ns: Sequence[int]) -> AtekSample | Dropped:
        """The sample at these main-camera times, or why there is none."""
        count = len(timestamps_ns)
        sample = AtekSample(sequence_name=self.sequence_name)
        for camera in self.cameras:
            frames = camera.frames(timestamps_ns)
            if frames is None or _length(frames.capture_timestamps_ns) != count:
                return Dropped(f"{camera.label} lacks frames within tolerance")
            sample.cameras[camera.label] = frames
        if self.trajectory is not None:
            poses = self.trajectory.poses(timestamps_ns)
            if poses is None or _length(poses.capture_timestamps_ns) != count:
                return Dropped("trajectory lacks poses within tolerance")
            sample.trajectory = poses
        if self.semidense is not None:
            sample.semidense = self.semidense.points(timestamps_ns)
        if self.depth is not None:
            depth = self.depth.frames(timestamps_ns)
            if depth is None or _length(depth.capture_timestamps_ns) != count:
                return Dropped("depth lacks frames within tolerance")
            sample.cameras[depth.camera_label] = depth
        if self.ground_truth is not None:
            efm = self.ground_truth.efm(timestamps_ns)
            if efm is None or len(efm) != count:
                return Dropped("3D box ground truth lacks frames")
            sample.gt_data = {"efm_gt": efm}
        return sample


def _length(tensor: object) -> int:
    shape = getattr(tensor, "shape", None)
    return int(shape[0]) if shape else 0
