"""MPS closed-loop trajectory at the sample's frame times.

Each query time gets the closest pose of the trajectory (no interpolation, as in the store: the
pose is the one MPS estimated, and its own timestamp is stored beside it), and is left out when
that pose is farther than ``tolerance_ns``. Gravity is the first matched pose's.

Pose timestamps are MPS microseconds times 1000, computed exactly in integers (the original goes
through float seconds, which can come out 1 ns low).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from atek_store.errors import RawDataError
from atek_store.format import Trajectory
from atek_store.preprocess import _aria

__all__ = ["TrajectoryProcessor", "closest_indices"]


def closest_indices(sorted_times: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Index of the closest element of ascending ``sorted_times`` for each query (ties: the earlier)."""
    right = np.searchsorted(sorted_times, queries, side="left").clip(0, len(sorted_times) - 1)
    left = (right - 1).clip(0, len(sorted_times) - 1)
    take_left = np.abs(queries - sorted_times[left]) <= np.abs(sorted_times[right] - queries)
    return np.where(take_left, left, right)


class TrajectoryProcessor:
    """Poses from a closed-loop trajectory CSV (``aria_trajectory.csv`` / ``closed_loop_trajectory.csv``)."""

    def __init__(self, path: Path, *, tolerance_ns: int) -> None:
        self.path = path
        self.tolerance_ns = tolerance_ns
        poses: list[Any] = list(_aria.mps().read_closed_loop_trajectory(str(path)))
        if not poses:
            raise RawDataError(f"trajectory {path} holds no pose", path=str(path))
        micros = np.array([_micros(pose.tracking_timestamp) for pose in poses], dtype=np.int64)
        order = np.argsort(micros, kind="stable")
        self._poses = [poses[i] for i in order]
        self._times_ns = micros[order] * 1000

    def poses(self, timestamps_ns: Sequence[int]) -> Trajectory | None:
        """The poses closest to each query time (within tolerance), or None if none is."""
        queries = np.asarray(timestamps_ns, dtype=np.int64)
        indices = closest_indices(self._times_ns, queries)
        keep = [
            int(i)
            for i, q in zip(indices, queries, strict=True)
            if abs(self._times_ns[i] - q) <= self.tolerance_ns
        ]
        if not keep:
            return None
        matrices = np.stack([self._poses[i].transform_world_device.to_matrix3x4() for i in keep])
        gravity = np.asarray(self._poses[keep[0]].gravity_world, dtype=np.float32)
        return Trajectory(
            ts_world_device=torch.from_numpy(matrices.astype(np.float32)),
            capture_timestamps_ns=torch.from_numpy(self._times_ns[keep].copy()),
            gravity_in_world=torch.from_numpy(gravity),
        )


def _micros(value: Any) -> int:
    # projectaria gives tracking timestamps as datetime.timedelta (microsecond resolution)
    return int((value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds)
