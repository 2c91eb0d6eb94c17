"""The CubeRCNN adaptor: one-frame ATEK samples -> Omni3D / CubeRCNN training dicts.

Behaviour follows the original ATEK adaptor (``ATEK_FORMAT.md`` section 7) and gives the same
numbers (``../shared/golden/expected_cubercnn.json``), without detectron2 or projectaria-tools:

- ``image``: the RGB frame as uint8 ``[3, H, W]`` in BGR order; ``K`` (nested lists) and
  ``K_matrix`` (float32) from ``fx, fy, cx, cy``; ``height``, ``width``; ``timestamp_ns``,
  ``frame_id``, ``sequence_name``;
- ``T_world_camera`` (a float64 ``[3, 4]`` numpy array, a tensor after a DataLoader, as in the
  original) = ``T_world_device`` of the frame @ ``T_device_camera``;
- with ground truth: the objects with category id > 0, 2D box area > ``min_bb2d_area`` and
  ``min_bb3d_depth <= depth <= max_bb3d_depth`` (z of the box centre in the camera frame), as
  ``instances`` (``gt_classes``, ``gt_boxes`` x0 y0 x1 y1, ``gt_boxes3D`` = projected centre, depth,
  dimensions z y x, centre in the camera; ``gt_poses`` = rotation camera <- object) plus
  ``Ts_world_object``, ``object_dimensions`` and ``category``.

Poses are orthonormalised in float64 before composing, as the original's Sophus ``SE3`` does, and
the derived quantities are rounded to float32 at the same points, so results agree bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from atek_store.adaptors.base import ModelAdaptor
from atek_store.adaptors.cubercnn_gt import cubercnn_gt_to_atek_gt
from atek_store.adaptors.instances import instance_structures
from atek_store.errors import UsageError
from atek_store.geometry import LINEAR, compose, invert, orthonormalize
from atek_store.loading import AtekDataLoader, AtekWdsDataset
from atek_store.loading.api import Urls

__all__ = [
    "CubeRCNNModelAdaptor",
    "ObjectFilter",
    "create_atek_dataloader_as_cubercnn",
    "load_atek_wds_dataset_as_cubercnn",
]

CAMERA = "camera-rgb"

# The ground truth of a camera that saw no object (its empty dict vanishes from gt_data on disk).
_NO_OBJECTS: Mapping[str, Any] = {
    "instance_ids": torch.zeros(0, dtype=torch.int64),
    "category_ids": torch.zeros(0, dtype=torch.int64),
    "box_ranges": torch.zeros(0, 4, dtype=torch.float32),
    "object_dimensions": torch.zeros(0, 3, dtype=torch.float32),
    "ts_world_object": torch.zeros(0, 3, 4, dtype=torch.float32),
}


@dataclass(frozen=True)
class ObjectFilter:
    """Which ground-truth objects CubeRCNN trains on."""

    min_bb2d_area: float = 100.0
    min_bb3d_depth: float = 0.3
    max_bb3d_depth: float = 5.0

    def __post_init__(self) -> None:
        if self.min_bb2d_area < 0:
            raise UsageError(f"min_bb2d_area must be >= 0 pixels squared, got {self.min_bb2d_area}")
        if not 0 <= self.min_bb3d_depth <= self.max_bb3d_depth:
            raise UsageError(
                "expected 0 <= min_bb3d_depth <= max_bb3d_depth (metres), got "
                f"{self.min_bb3d_depth} and {self.max_bb3d_depth}"
            )

    def keep(
        self, boxes_x0y0x1y1: torch.Tensor, depths: torch.Tensor, category_ids: torch.Tensor
    ) -> torch.Tensor:
        """``[N]`` bool: category id > 0, area > ``min_bb2d_area``, depth within the bounds (inclusive)."""
        widths = boxes_x0y0x1y1[:, 2] - boxes_x0y0x1y1[:, 0]
        heights = boxes_x0y0x1y1[:, 3] - boxes_x0y0x1y1[:, 1]
        area_ok = widths * heights > self.min_bb2d_area
        depth_ok = (depths >= self.min_bb3d_depth) & (depths <= self.max_bb3d_depth)
        return area_ok & depth_ok & (category_ids > 0)


class CubeRCNNModelAdaptor(ModelAdaptor):
    """ATEK cubercnn samples -> CubeRCNN inputs (see the module docstring for the outputs)."""

    key_mapping: ClassVar[Mapping[str, str]] = {
        f"mfcd#{CAMERA}+images": "image",
        f"mfcd#{CAMERA}+projection_params": "camera_params",
        f"mfcd#{CAMERA}+camera_model_name": "camera_model",
        f"mfcd#{CAMERA}+t_device_camera": "t_device_rgbcam",
        f"mfcd#{CAMERA}+frame_ids": "frame_id",
        f"mfcd#{CAMERA}+capture_timestamps_ns": "timestamp_ns",
        "mtd#ts_world_device": "ts_world_device",
        "sequence_name": "sequence_name",
        "gt_data": "gt_data",
    }

    #: CubeRCNN outputs (or inputs) back to ATEK ``obb3_gt``/``obb2_gt`` dicts, for evaluation.
    cubercnn_gt_to_atek_gt = staticmethod(cubercnn_gt_to_atek_gt)

    def __init__(
        self, min_bb2d_area: float = 100.0, min_bb3d_depth: float = 0.3, max_bb3d_depth: float = 5.0
    ) -> None:
        self.object_filter = ObjectFilter(min_bb2d_area, min_bb3d_depth, max_bb3d_depth)
        # Resolved once: detectron2's Instances/Boxes when it is installed, else ours.
        self.structures = instance_structures()

    @property
    def min_bb2d_area(self) -> float:
        """Objects need a 2D box larger than this (pixels squared)."""
        return self.object_filter.min_bb2d_area

    @property
    def min_bb3d_depth(self) -> float:
        """Objects need their centre at least this far in front of the camera (metres)."""
        return self.object_filter.min_bb3d_depth

    @property
    def max_bb3d_depth(self) -> float:
        """Objects need their centre at most this far in front of the camera (metres)."""
        return self.object_filter.max_bb3d_depth

    def atek_to_cubercnn(self, data: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """The original adaptor's name for :meth:`transform`."""
        return self.transform(data)

    def convert(self, sample: dict[str, Any]) -> dict[str, Any]:
        """One remapped ATEK sample -> one CubeRCNN sample."""
        out = self._camera_fields(sample)
        t_world_camera = self._t_world_camera(sample)
        if t_world_camera is not None:
            # numpy, as the original's Sophus matrix: a DataLoader turns it into a float64 tensor.
            out["T_world_camera"] = t_world_camera.numpy()
        gt_data = self.require(sample, "gt_data", dict) if "gt_data" in sample else {}
        if gt_data:
            out.update(
                self._objects(sample, gt_data, t_world_camera, out["K_matrix"], out["height"], out["width"])
            )
        return out

    def _camera_fields(self, sample: dict[str, Any]) -> dict[str, Any]:
        images = self.require(sample, "image", torch.Tensor)
        if images.dim() != 4 or images.shape[1] != 3 or images.dtype != torch.uint8:
            raise self.fail(
                sample,
                f"has {CAMERA} images of {images.dtype} {list(images.shape)}, expected uint8 [1, 3, H, W]",
            )
        if images.shape[0] != 1:
            raise self.fail(
                sample,
                f"has {images.shape[0]} frames of {CAMERA}; CubeRCNN takes one-frame samples "
                "(a cubercnn configuration)",
            )
        model = self.require(sample, "camera_model", str)
        if model != LINEAR:
            raise self.fail(
                sample,
                f"has a {model} {CAMERA} camera; CubeRCNN needs {LINEAR} (preprocess with "
                "undistort_to_linear_camera)",
            )
        params = self.require(sample, "camera_params", torch.Tensor)
        if params.numel() != 4:
            raise self.fail(sample, f"has {params.numel()} projection_params, expected 4 (fx, fy, cx, cy)")
        fx, fy, cx, cy = (float(value) for value in params.reshape(-1).tolist())
        k = [[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]]
        height, width = int(images.shape[2]), int(images.shape[3])
        return {
            "image": images[0, [2, 1, 0]],  # RGB -> BGR; advanced indexing copies
            "K": k,
            "height": height,
            "width": width,
            "K_matrix": torch.tensor(k, dtype=torch.float32),
            "timestamp_ns": self.require(sample, "timestamp_ns", torch.Tensor),
            "frame_id": self.require(sample, "frame_id", torch.Tensor),
            "sequence_name": self.require(sample, "sequence_name", str),
        }

    def _t_world_camera(self, sample: dict[str, Any]) -> torch.Tensor | None:
        if "ts_world_device" not in sample or "t_device_rgbcam" not in sample:
            return None
        ts_world_device = self.require(sample, "ts_world_device", torch.Tensor)
        t_device_camera = self.require(sample, "t_device_rgbcam", torch.Tensor)
        if ts_world_device.dim() != 3 or ts_world_device.shape[0] < 1 or ts_world_device.shape[1:] != (3, 4):
            raise self.fail(
                sample, f"has ts_world_device of shape {list(ts_world_device.shape)}, expected [F, 3, 4]"
            )
        if t_device_camera.shape != (3, 4):
            raise self.fail(
                sample, f"has t_device_camera of shape {list(t_device_camera.shape)}, expected [3, 4]"
            )
        return compose(orthonormalize(ts_world_device[0]), orthonormalize(t_device_camera))

    def _objects(
        self,
        sample: dict[str, Any],
        gt_data: dict[str, Any],
        t_world_camera: torch.Tensor | None,
        k_matrix: torch.Tensor,
        height: int,
        width: int,
    ) -> dict[str, Any]:
        obb2, obb3 = self._camera_gt(sample, gt_data)
        if t_world_camera is None:
            raise self.fail(sample, "has ground truth but no ts_world_device / t_device_camera to place it")
        ids2 = self._gt_tensor(sample, obb2, "obb2_gt", "instance_ids", (-1,))
        count = int(ids2.shape[0])
        ids3 = self._gt_tensor(sample, obb3, "obb3_gt", "instance_ids", (count,))
        if not torch.equal(ids2, ids3):
            raise self.fail(sample, f"has obb2_gt and obb3_gt of {CAMERA} listing different instance ids")
        box_ranges = self._gt_tensor(sample, obb2, "obb2_gt", "box_ranges", (count, 4))
        category_ids = self._gt_tensor(sample, obb3, "obb3_gt", "category_ids", (count,))
        dimensions = self._gt_tensor(sample, obb3, "obb3_gt", "object_dimensions", (count, 3))
        ts_world_object = orthonormalize(
            self._gt_tensor(sample, obb3, "obb3_gt", "ts_world_object", (count, 3, 4))
        )

        boxes = box_ranges[:, [0, 2, 1, 3]]  # (xmin, xmax, ymin, ymax) -> (x0, y0, x1, y1)
        ts_camera_object = compose(invert(t_world_camera), ts_world_object)
        centres = ts_camera_object[:, :, 3].to(torch.float32)
        keep = self.object_filter.keep(boxes, centres[:, 2], category_ids)

        centres = centres[keep]
        # Written out, not ``centres @ k_matrix.T``: a BLAS matmul may fuse multiply-adds or change the
        # summation order by CPU, and the original's float32 rounding must come out the same everywhere.
        projected = (centres[:, 0:1] * k_matrix[:, 0] + centres[:, 1:2] * k_matrix[:, 1]) + centres[
            :, 2:3
        ] * k_matrix[:, 2]
        boxes3d = torch.cat(
            [
                projected[:, :2] / projected[:, 2:],
                centres[:, 2:],
                dimensions[keep][:, [2, 1, 0]],  # Omni3D orders dimensions z, y, x
                centres,
            ],
            dim=1,
        )
        instances = self.structures.instances((height, width))
        instances.gt_classes = category_ids[keep]
        instances.gt_boxes = self.structures.boxes(boxes[keep])
        instances.gt_boxes3D = boxes3d
        instances.gt_poses = ts_camera_object[keep][:, :, :3].to(torch.float32)
        return {
            "instances": instances,
            "Ts_world_object": ts_world_object[keep].to(torch.float32),
            "object_dimensions": dimensions[keep],
            "category": category_ids[keep],
        }

    def _camera_gt(
        self, sample: dict[str, Any], gt_data: dict[str, Any]
    ) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        groups: list[dict[str, Any]] = []
        for name in ("obb2_gt", "obb3_gt"):
            group = gt_data.get(name)
            if not isinstance(group, dict):
                raise self.fail(
                    sample,
                    f"has gt_data without {name} (it has {sorted(gt_data)}); CubeRCNN needs the obb2/obb3 "
                    "ground truth of a cubercnn configuration",
                )
            groups.append(group)
        obb2, obb3 = groups
        if CAMERA not in obb2 and CAMERA not in obb3:
            # The camera saw no object (an empty GT dict vanishes on disk): no instances.
            return _NO_OBJECTS, _NO_OBJECTS
        for name, group in (("obb2_gt", obb2), ("obb3_gt", obb3)):
            if not isinstance(group.get(CAMERA), dict):
                raise self.fail(sample, f"has {name} without an entry for {CAMERA}")
        return obb2[CAMERA], obb3[CAMERA]

    def _gt_tensor(
        self,
        sample: dict[str, Any],
        group: Mapping[str, Any],
        group_name: str,
        name: str,
        shape: tuple[int, ...],
    ) -> torch.Tensor:
        value = group.get(name)
        if not isinstance(value, torch.Tensor):
            raise self.fail(sample, f"has no tensor gt_data.{group_name}.{CAMERA}.{name}")
        fits = value.dim() == len(shape) and all(
            want in (-1, have) for want, have in zip(shape, value.shape, strict=True)
        )
        if not fits:
            expected = ", ".join("N" if want == -1 else str(want) for want in shape)
            raise self.fail(
                sample,
                f"has gt_data.{group_name}.{CAMERA}.{name} of shape {list(value.shape)}, "
                f"expected [{expected}]",
            )
        return value


def create_atek_dataloader_as_cubercnn(
    urls: Urls,
    batch_size: int | None = None,
    repeat_flag: bool = False,
    shuffle_flag: bool = False,
    num_workers: int = 0,
    **options: Any,
) -> AtekDataLoader:
    """ATEK cubercnn shards as CubeRCNN inputs, as the original function of this name gives them.

    Each item is one converted sample (``batch_size=None``) or a plain list of them. ``options``
    go to :func:`~atek_store.create_native_atek_dataloader` (``seed``, ``cache_dir``, ``handler``,
    ...); the adaptor's thresholds are the original's defaults (build a
    :class:`CubeRCNNModelAdaptor` and call its ``create_dataloader`` for others).
    """
    return CubeRCNNModelAdaptor().create_dataloader(
        urls,
        batch_size=batch_size,
        repeat_flag=repeat_flag,
        shuffle_flag=shuffle_flag,
        num_workers=num_workers,
        **options,
    )


def load_atek_wds_dataset_as_cubercnn(
    urls: Urls,
    batch_size: int | None,
    repeat_flag: bool,
    shuffle_flag: bool = False,
    **options: Any,
) -> AtekWdsDataset:
    """ATEK cubercnn shards as a dataset of CubeRCNN inputs (the original function of this name).

    Without a DataLoader around it, ``T_world_camera`` stays a numpy array, as in the original.
    ``options`` go to :func:`~atek_store.load_atek_wds_dataset`.
    """
    return CubeRCNNModelAdaptor().load_dataset(
        urls, batch_size=batch_size, repeat_flag=repeat_flag, shuffle_flag=shuffle_flag, **options
    )
