"""Object ground truth in ADT format: 3D boxes (obb3), 2D boxes (obb2) and per-frame efm GT.

Read through projectaria's ``AriaDigitalTwinDataProvider`` from ``3d_bounding_box.csv`` (box
extents in the object frame), ``scene_objects.csv`` (object poses; ``-1`` = static),
``2d_bounding_box.csv`` (per-camera boxes and visibility) and ``instances.json``.

- obb3 of a camera at time t: the instances that camera's 2D GT shows at t, in the provider's
  order, each with its extents and ``T_world_object`` moved to the box centre. A camera with no 2D
  GT gets ``{}`` (which vanishes on disk, as in the store); no camera with a box means no GT.
- obb2 of a camera: the same instances with visibility and the 2D box pushed through the camera's
  image transforms (undistort, rescale, rotate), as ``[xmin, xmax, ymin, ymax]``.
- efm: ``{str(t): obb3(t)}`` for each frame time whose obb3 exists.

Category names and ids come from the mapping CSV keyed by ``prototype_name`` (ADT) or
``category`` (ASE); without a mapping the raw ``category`` and ``category_uid`` are used.

Differences from the original, on purpose: GT farther than the tolerance in either direction is
refused (the original only refuses GT later than the query, so a query past the end of the GT got
stale boxes), and an instance with a 2D box but no 3D box is a clear :class:`RawDataError`
instead of a crash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from atek_store.errors import RawDataError
from atek_store.preprocess import _aria
from atek_store.preprocess.category_mapping import OTHER, CategoryMapping
from atek_store.preprocess.config import GroundTruthConfig
from atek_store.preprocess.paths import RawSequencePaths
from atek_store.preprocess.rectify import CameraGeometry

__all__ = ["GroundTruthProcessor", "centred_box"]


def centred_box(aabb: np.ndarray, t_world_object: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Extents ``[3]`` and the 3x4 ``T_world_object`` with the object frame moved to the box centre.

    ``aabb`` is ``[xmin, xmax, ymin, ymax, zmin, zmax]`` in the object frame; ``t_world_object`` is
    a 3x4 or 4x4 pose.
    """
    aabb = np.asarray(aabb, dtype=np.float64)
    pose = np.asarray(t_world_object, dtype=np.float64)[:3]
    dimensions = aabb[1::2] - aabb[::2]
    centre = (aabb[1::2] + aabb[::2]) / 2
    centred = pose.copy()
    centred[:, 3] = pose[:, :3] @ centre + pose[:, 3]
    return dimensions, centred


class GroundTruthProcessor:
    """Ground truth of one sequence for the selected cameras.

    Args:
        paths: the raw folder's files (the four GT files must be present).
        config: the ``obb_gt`` / ``efm_gt`` section.
        stream_ids: camera label -> projectaria stream id of each selected camera.
        geometries: camera label -> image geometry, for 2D boxes (obb2 only).
        mapping: the category mapping, or None for raw categories.
    """

    def __init__(
        self,
        paths: RawSequencePaths,
        config: GroundTruthConfig,
        *,
        stream_ids: Mapping[str, Any],
        geometries: Mapping[str, CameraGeometry] | None = None,
        mapping: CategoryMapping | None = None,
    ) -> None:
        adt = _aria.adt()
        data_paths = adt.AriaDigitalTwinDataPaths()
        data_paths.object_boundingbox_3d_filepath = str(paths.require("boxes_3d", why="ground truth"))
        data_paths.object_trajectories_filepath = str(paths.require("object_poses", why="ground truth"))
        data_paths.boundingboxes_2d_filepath = str(paths.require("boxes_2d", why="ground truth"))
        data_paths.instances_filepath = str(paths.require("instances", why="ground truth"))
        try:
            self._provider = adt.AriaDigitalTwinDataProvider(data_paths)
        except RuntimeError as error:
            raise RawDataError(
                f"ground truth in {paths.folder} does not load: {error}", path=str(paths.folder)
            ) from error
        self.folder = paths.folder
        self.config = config
        self.stream_ids = dict(stream_ids)
        self.geometries = dict(geometries or {})
        self.mapping = mapping
        self._categories: dict[int, tuple[str, int]] = {}
        # obb2 asks for the same 2D boxes as obb3 just did: keep those of the latest time
        self._boxes_2d_at: tuple[int, dict[str, dict[int, Any] | None]] = (-1, {})

    def category(self, instance_id: int) -> tuple[str, int]:
        """``(name, id)`` of an instance's category under the mapping (cached)."""
        known = self._categories.get(instance_id)
        if known is not None:
            return known
        info = self._provider.get_instance_info_by_id(instance_id)
        if self.mapping is None:
            result = (str(info.category), int(info.category_uid))
        else:
            key = getattr(info, self.config.category_mapping_field_name, "")
            result = self.mapping.lookup(str(key)) if key else OTHER
        self._categories[instance_id] = result
        return result

    def _fresh(self, with_dt: Any) -> bool:
        return bool(with_dt.is_valid()) and abs(int(with_dt.dt_ns())) <= self.config.tolerance_ns

    def _boxes_2d(self, timestamp_ns: int, label: str) -> dict[int, Any] | None:
        if self._boxes_2d_at[0] != timestamp_ns:
            self._boxes_2d_at = (timestamp_ns, {})
        known = self._boxes_2d_at[1]
        if label not in known:
            with_dt = self._provider.get_object_2d_boundingboxes_by_timestamp_ns(
                timestamp_ns, self.stream_ids[label]
            )
            known[label] = dict(with_dt.data()) if self._fresh(with_dt) else None
        return known[label]

    def _names_and_ids(self, instance_ids: Sequence[int]) -> tuple[list[str], torch.Tensor, torch.Tensor]:
        categories = [self.category(i) for i in instance_ids]
        return (
            [name for name, _ in categories],
            torch.tensor([cid for _, cid in categories], dtype=torch.int64),
            torch.tensor(list(instance_ids), dtype=torch.int64),
        )

    def obb3(self, timestamp_ns: int) -> dict[str, dict[str, Any]] | None:
        """3D boxes per selected camera at ``timestamp_ns``, or None when there are none."""
        with_dt = self._provider.get_object_3d_boundingboxes_by_timestamp_ns(timestamp_ns)
        boxes_3d = dict(with_dt.data()) if self._fresh(with_dt) else {}
        if not boxes_3d:
            return None
        result: dict[str, dict[str, Any]] = {}
        for label in self.stream_ids:
            boxes_2d = self._boxes_2d(timestamp_ns, label)
            if not boxes_2d:
                result[label] = {}
                continue
            ids = list(boxes_2d)
            dims, poses = [], []
            for instance_id in ids:
                box = boxes_3d.get(instance_id)
                if box is None:
                    raise RawDataError(
                        f"instance {instance_id} has a 2D box for {label} at {timestamp_ns} ns but no 3D box "
                        f"(3d_bounding_box.csv / scene_objects.csv in {self.folder})",
                        path=str(self.folder),
                    )
                dimension, pose = centred_box(box.aabb, box.transform_scene_object.to_matrix3x4())
                dims.append(dimension)
                poses.append(pose)
            names, category_ids, instance_ids = self._names_and_ids(ids)
            result[label] = {
                "instance_ids": instance_ids,
                "category_names": names,
                "category_ids": category_ids,
                "object_dimensions": torch.from_numpy(np.asarray(dims).astype(np.float32)),
                "ts_world_object": torch.from_numpy(np.asarray(poses).astype(np.float32)),
            }
        if all(not camera for camera in result.values()):
            return None
        return result

    def obb2(self, timestamp_ns: int) -> dict[str, dict[str, Any]] | None:
        """2D boxes per selected camera (in the stored images' pixels), or None when there are none."""
        result: dict[str, dict[str, Any]] = {}
        for label in self.stream_ids:
            boxes_2d = self._boxes_2d(timestamp_ns, label)
            if boxes_2d is None:
                continue
            ids = list(boxes_2d)
            geometry = self.geometries[label]
            ranges = [
                geometry.transform_box(boxes_2d[i].box_range, self.config.bbox2d_num_samples_on_edge)
                for i in ids
            ]
            names, category_ids, instance_ids = self._names_and_ids(ids)
            result[label] = {
                "instance_ids": instance_ids,
                "category_names": names,
                "category_ids": category_ids,
                "visibility_ratios": torch.tensor(
                    [boxes_2d[i].visibility_ratio for i in ids], dtype=torch.float32
                ),
                "box_ranges": torch.from_numpy(np.asarray(ranges, dtype=np.float32).reshape(-1, 4)),
            }
        if not any(camera["category_names"] for camera in result.values()):
            return None
        return result

    def efm(self, timestamps_ns: Sequence[int]) -> dict[str, dict[str, dict[str, Any]]] | None:
        """``{str(t): obb3(t)}`` for the frame times that have GT, or None when none has."""
        frames = {str(int(t)): gt for t in timestamps_ns if (gt := self.obb3(int(t))) is not None}
        return frames or None
