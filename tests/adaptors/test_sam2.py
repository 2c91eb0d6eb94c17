"""The SAM2 adaptor gives the original's image and prompt boxes (numpy; tensors after a DataLoader)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from atek_store import Sam2ModelAdaptor, create_atek_dataloader_as_sam2
from atek_store.errors import AdaptorError, UsageError
from atek_store.format import iter_shard


@pytest.fixture(scope="module")
def golden_sample(golden_dir: Path) -> dict[str, Any]:
    (sample,) = list(iter_shard(golden_dir / "wds" / "adt_cubercnn" / "shards-0000.tar"))
    return sample


def test_golden_sample_gives_the_rgb_frame_hwc_and_the_first_boxes_xyxy(
    golden_sample: dict[str, Any],
) -> None:
    converted = Sam2ModelAdaptor().adapt(golden_sample)
    assert converted is not None
    assert set(converted) == {"image", "boxes"}
    image, boxes = converted["image"], converted["boxes"]
    assert isinstance(image, np.ndarray)
    assert image.dtype == np.uint8
    assert image.shape == (1408, 1408, 3)
    assert np.array_equal(image, golden_sample["mfcd#camera-rgb+images"][0].permute(1, 2, 0).numpy())
    ranges = golden_sample["gt_data"]["obb2_gt"]["camera-rgb"]["box_ranges"]
    assert isinstance(boxes, np.ndarray)
    assert boxes.dtype == np.float32
    assert np.array_equal(boxes, ranges[:5][:, [0, 2, 1, 3]].numpy())
    assert Sam2ModelAdaptor(num_boxes=200).adapt(golden_sample)["boxes"].shape == (91, 4)  # type: ignore[index]


def test_dataloader_batches_are_lists_of_tensor_samples(golden_dir: Path) -> None:
    urls = [str(golden_dir / "wds" / "adt_cubercnn" / "shards-0000.tar")]
    (batch,) = list(create_atek_dataloader_as_sam2(urls, batch_size=4, num_prompt_boxes=2))
    (sample,) = batch
    assert isinstance(sample["image"], torch.Tensor)
    assert sample["boxes"].shape == (2, 4)


def test_a_camera_without_objects_gives_no_prompts_and_missing_gt_is_named(
    golden_sample: dict[str, Any],
) -> None:
    adaptor = Sam2ModelAdaptor()
    image = golden_sample["mfcd#camera-rgb+images"]
    empty = adaptor.convert({"__key__": "k", "image": image, "gt_data": {"obb2_gt": {}}})
    assert empty["boxes"].shape == (0, 4)
    with pytest.raises(AdaptorError, match="without obb2_gt"):
        adaptor.convert({"__key__": "k", "image": image, "gt_data": {}})
    with pytest.raises(AdaptorError, match="'k'"):
        adaptor.convert({"__key__": "k", "image": image[0], "gt_data": {}})
    with pytest.raises(AdaptorError, match="not a dict"):
        adaptor.convert({"__key__": "k", "image": image, "gt_data": {"obb2_gt": {"camera-rgb": [1, 2]}}})
    with pytest.raises(UsageError, match="num_boxes"):
        Sam2ModelAdaptor(num_boxes=-1)
