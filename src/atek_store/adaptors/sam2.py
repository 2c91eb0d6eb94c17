"""The SAM2 adaptor: ATEK samples -> an RGB image and box prompts for Segment Anything 2.

Behaviour follows the original ATEK adaptor (``ATEK_DETAILS.md`` section 5.3): ``image`` is the
RGB frame as a uint8 ``[H, W, 3]`` numpy array, ``boxes`` the first ``num_boxes`` 2D boxes of
``obb2_gt`` for ``camera-rgb`` as a float32 ``[K, 4]`` numpy array of ``x0, y0, x1, y1``. A
DataLoader turns both into tensors, as it does for the original. Batches are plain lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

import torch

from atek_store.adaptors.base import ModelAdaptor
from atek_store.errors import UsageError
from atek_store.format import keys as K
from atek_store.loading import AtekDataLoader
from atek_store.loading.api import Urls

__all__ = ["Sam2ModelAdaptor", "create_atek_dataloader_as_sam2"]

CAMERA = "camera-rgb"


class Sam2ModelAdaptor(ModelAdaptor):
    """ATEK samples with 2D ground truth -> SAM2 inputs (see the module docstring)."""

    key_mapping: ClassVar[Mapping[str, str]] = {
        K.camera_key(CAMERA, "images"): "image",
        "gt_data": "gt_data",  # the 2D boxes serve as prompts
    }

    def __init__(self, num_boxes: int = 5) -> None:
        if num_boxes < 0:
            raise UsageError(f"num_boxes must be >= 0, got {num_boxes}", flag="num_boxes")
        self.num_boxes = num_boxes

    def atek_to_sam2(self, data: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """The original adaptor's name for :meth:`transform`."""
        return self.transform(data)

    def convert(self, sample: dict[str, Any]) -> dict[str, Any]:
        """One remapped ATEK sample -> ``{"image": [H, W, 3] uint8, "boxes": [K, 4] float32}`` (numpy)."""
        images = self.require(sample, "image", torch.Tensor)
        if images.dim() != 4 or images.shape[0] < 1 or images.shape[1] != 3:
            raise self.fail(
                sample, f"has {CAMERA} images of shape {list(images.shape)}, expected [F, 3, H, W]"
            )
        gt_data = self.require(sample, "gt_data", dict)
        obb2 = gt_data.get("obb2_gt")
        if not isinstance(obb2, dict):
            raise self.fail(
                sample, f"has gt_data without obb2_gt (it has {sorted(gt_data)}); SAM2 prompts need 2D boxes"
            )
        # A camera that saw no object has no entry (its empty dict vanishes on disk): no prompts.
        camera = obb2.get(CAMERA, {})
        if not isinstance(camera, dict):
            raise self.fail(sample, f"has gt_data.obb2_gt.{CAMERA} that is not a dict")
        ranges = camera.get("box_ranges", torch.zeros(0, 4))
        if not isinstance(ranges, torch.Tensor) or ranges.dim() != 2 or ranges.shape[1] != 4:
            raise self.fail(sample, f"has gt_data.obb2_gt.{CAMERA}.box_ranges that is not an [N, 4] tensor")
        boxes = ranges[: self.num_boxes, [0, 2, 1, 3]]  # (xmin, xmax, ymin, ymax) -> (x0, y0, x1, y1)
        return {
            "image": images[0].permute(1, 2, 0).numpy(),
            "boxes": boxes.to(torch.float32).numpy(),
        }


def create_atek_dataloader_as_sam2(
    urls: Urls,
    batch_size: int | None = None,
    repeat_flag: bool = False,
    shuffle_flag: bool = False,
    num_workers: int = 0,
    num_prompt_boxes: int = 5,
    **options: Any,
) -> AtekDataLoader:
    """ATEK shards with obb2 ground truth as SAM2 inputs, as the original function of this name gives them.

    Each item is one converted sample (``batch_size=None``) or a plain list of them; the
    DataLoader turns the numpy arrays into tensors. ``options`` go to
    :func:`~atek_store.create_native_atek_dataloader` (``seed``, ``cache_dir``, ``handler``, ...).
    """
    return Sam2ModelAdaptor(num_boxes=num_prompt_boxes).create_dataloader(
        urls,
        batch_size=batch_size,
        repeat_flag=repeat_flag,
        shuffle_flag=shuffle_flag,
        num_workers=num_workers,
        **options,
    )
