"""MPS semidense points visible at each frame, and the sequence's point volume.

Inputs are the global point cloud (``uid, px/py/pz_world, inv_dist_std, dist_std``) and the
observations (``uid, frame_tracking_timestamp_us``), CSV or gzipped CSV. For each query time,
rounded to microseconds, the nearest observation time within the tolerance is found (ties go to
the earlier one) and the points observed then are returned, sorted by ascending
``inv_dist_std``. As in the store:

- a point observed by both SLAM cameras at that time is listed twice;
- a frame with no observation within tolerance gets one NaN point, not an empty set;
- ``capture_timestamps_ns`` is the rounded query time, not the observation time;
- the volume is the first quantile pair ``(q, 1 - q)``, q in 0.001, 0.01, 0.05, whose 4 cm voxel
  grid holds fewer than 500 M voxels (the last pair if none does).

Loading is vectorised (pandas + numpy), so a sequence with millions of points loads in seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from atek_store.errors import RawDataError
from atek_store.format import SemidensePoints

__all__ = ["SemidenseProcessor", "point_volume"]

_QUANTILES = (0.001, 0.01, 0.05)
_VOXEL_SIZE_M = 0.04
_MAX_VOXELS = 8000 / 4 * 1e6 / 4  # a quarter of 8 GB of float32 voxels
_TORCH_QUANTILE_LIMIT = 1 << 24  # torch.quantile refuses larger inputs


def point_volume(points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-axis ``(min, max)`` bounds of float32 ``[N, 3]`` points for a 4 cm voxel grid."""
    if points.shape[0] == 0:
        nan = torch.full((3,), float("nan"))
        return nan, nan.clone()
    low = high = points[0]
    for q in _QUANTILES:
        low, high = _quantile(points, q), _quantile(points, 1 - q)
        voxels = (high - low) / _VOXEL_SIZE_M
        if float(voxels[0] * voxels[1] * voxels[2]) < _MAX_VOXELS:
            break
    return low, high


def _quantile(points: torch.Tensor, q: float) -> torch.Tensor:
    if points.shape[0] <= _TORCH_QUANTILE_LIMIT:
        return torch.stack([torch.quantile(points[:, axis], q) for axis in range(3)])
    return torch.from_numpy(np.quantile(points.numpy(), q, axis=0).astype(np.float32))


def _read_csv(path: Path, columns: list[str], dtypes: dict[str, str]) -> dict[str, np.ndarray]:
    import pandas as pd  # the preprocess extra; pandas is projectaria-tools' dependency too

    try:
        frame = pd.read_csv(path, usecols=columns, dtype=dtypes)
    except ValueError as error:
        raise RawDataError(
            f"{path} is not a semidense CSV with columns {columns}: {error}", path=str(path)
        ) from error
    return {name: frame[name].to_numpy() for name in columns}


class SemidenseProcessor:
    """Semidense points of one sequence, queried per sample."""

    def __init__(self, points_path: Path, observations_path: Path, *, tolerance_ns: int) -> None:
        self.points_path = points_path
        self.observations_path = observations_path
        self.tolerance_us = int(round(tolerance_ns / 1000))
        columns = ["uid", "px_world", "py_world", "pz_world", "inv_dist_std", "dist_std"]
        table = _read_csv(points_path, columns, {"uid": "int64"})
        uids = table["uid"]
        xyz = np.stack([table["px_world"], table["py_world"], table["pz_world"]], axis=1)
        # A repeated uid keeps its last row, as a uid -> point dict would.
        last = len(uids) - 1 - np.unique(uids[::-1], return_index=True)[1]
        self._uids = uids[last]  # sorted ascending by np.unique
        self._xyz = xyz[last].astype(np.float32)
        self._inv_dist_std = table["inv_dist_std"][last].astype(np.float64)
        self._dist_std = table["dist_std"][last].astype(np.float64)
        self.volume_min, self.volume_max = point_volume(torch.from_numpy(self._xyz))

        observed = _read_csv(
            observations_path,
            ["uid", "frame_tracking_timestamp_us"],
            {"uid": "int64", "frame_tracking_timestamp_us": "int64"},
        )
        order = np.argsort(observed["frame_tracking_timestamp_us"], kind="stable")
        times = observed["frame_tracking_timestamp_us"][order]
        self._observed_uids = observed["uid"][order]
        self._times_us, self._starts = np.unique(times, return_index=True)
        self._ends = np.append(self._starts[1:], len(times))

    def _frame(self, query_us: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        nan_points = (
            torch.full((1, 3), float("nan")),
            torch.tensor([float("nan")]),
            torch.tensor([float("nan")]),
        )
        if len(self._times_us) == 0:
            return nan_points
        right = int(np.searchsorted(self._times_us, query_us, side="left"))
        candidates = [i for i in (right - 1, right) if 0 <= i < len(self._times_us)]
        best = min(candidates, key=lambda i: (abs(int(self._times_us[i]) - query_us), i))
        if abs(int(self._times_us[best]) - query_us) > self.tolerance_us:
            return nan_points
        uids = self._observed_uids[self._starts[best] : self._ends[best]]
        rows = np.searchsorted(self._uids, uids).clip(0, max(len(self._uids) - 1, 0))
        missing = len(self._uids) == 0 or not np.array_equal(self._uids[rows], uids)
        if missing:
            unknown = sorted(set(uids.tolist()) - set(self._uids.tolist()))[:5]
            raise RawDataError(
                f"{self.observations_path} observes point uids {unknown} "
                f"that {self.points_path} does not hold",
                path=str(self.observations_path),
            )
        rows = rows[np.argsort(self._inv_dist_std[rows], kind="stable")]
        return (
            torch.from_numpy(self._xyz[rows]),
            torch.from_numpy(self._dist_std[rows].astype(np.float32)),
            torch.from_numpy(self._inv_dist_std[rows].astype(np.float32)),
        )

    def points(self, timestamps_ns: Sequence[int]) -> SemidensePoints:
        """Points visible at each query time (one entry per query, NaN point where none)."""
        queries_us = np.round(np.asarray(timestamps_ns, dtype=np.int64) / 1000).astype(np.int64)
        frames = [self._frame(int(query)) for query in queries_us]
        return SemidensePoints(
            points_world=[f[0] for f in frames],
            points_dist_std=[f[1] for f in frames],
            points_inv_dist_std=[f[2] for f in frames],
            capture_timestamps_ns=torch.from_numpy(queries_us * 1000),
            points_volumn_min=self.volume_min.clone(),
            points_volumn_max=self.volume_max.clone(),
        )
