"""Code written as the original's docs show it (model adaptors, SAM2, CubeRCNN) runs unchanged on `atek`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from atek.data_loaders.atek_wds_dataloader import create_native_atek_dataloader, load_atek_wds_dataset
from atek.data_loaders.cubercnn_model_adaptor import CubeRCNNModelAdaptor, load_atek_wds_dataset_as_cubercnn
from atek.data_loaders.sam2_model_adaptor import create_atek_dataloader_as_sam2
from webdataset.filters import pipelinefilter

from tests.golden import load_expected, mismatches


@pytest.fixture(scope="module")
def native(cubercnn_urls: list[str]) -> dict[str, Any]:
    (sample,) = list(create_native_atek_dataloader(cubercnn_urls))
    return sample  # type: ignore[no-any-return]


class DocsModelAdaptor:
    """A user's adaptor, written as docs/ModelAdaptors.md shows: a static key mapping and a generator."""

    @staticmethod
    def get_dict_key_mapping_all() -> dict[str, str]:
        return {"mfcd#camera-rgb+images": "image", "gt_data": "gt_data"}

    def atek_to_model(self, data: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for atek_wds_sample in data:
            obb2 = atek_wds_sample["gt_data"]["obb2_gt"]["camera-rgb"]
            yield {
                "image": atek_wds_sample["image"][0].float() / 255,
                "num_boxes": len(obb2["category_names"]),
            }


# The docs' DataLoader pins memory, which warns on a machine without an accelerator.
@pytest.mark.filterwarnings("ignore:.*pin_memory.*:UserWarning")
def test_the_model_adaptor_pattern_of_the_docs_runs_unchanged(
    cubercnn_urls: list[str], native: dict[str, Any]
) -> None:
    adaptor = DocsModelAdaptor()
    wds_dataset = load_atek_wds_dataset(
        cubercnn_urls,
        batch_size=None,
        dict_key_mapping=DocsModelAdaptor.get_dict_key_mapping_all(),
        data_transform_fn=pipelinefilter(adaptor.atek_to_model)(),
        repeat_flag=False,
        shuffle_flag=False,
    )
    loader = torch.utils.data.DataLoader(wds_dataset, batch_size=None, num_workers=0, pin_memory=True)
    (sample,) = list(loader)
    assert torch.equal(sample["image"], native["mfcd#camera-rgb+images"][0].float() / 255)
    assert sample["num_boxes"] == len(native["gt_data"]["obb2_gt"]["camera-rgb"]["category_names"]) == 91


def test_the_sam2_example_of_the_docs_gives_image_and_prompt_boxes(
    cubercnn_urls: list[str], native: dict[str, Any]
) -> None:
    sam2_dataloader = create_atek_dataloader_as_sam2(cubercnn_urls)
    first_sam2_sample = next(iter(sam2_dataloader))
    assert set(first_sam2_sample) == {"image", "boxes"}
    # A DataLoader turns the adaptor's numpy arrays into tensors, as with the original.
    assert torch.equal(first_sam2_sample["image"], native["mfcd#camera-rgb+images"][0].permute(1, 2, 0))
    ranges = native["gt_data"]["obb2_gt"]["camera-rgb"]["box_ranges"]
    assert torch.equal(first_sam2_sample["boxes"], ranges[:5, [0, 2, 1, 3]])


def test_cubercnn_dataset_outside_a_dataloader_keeps_t_world_camera_numpy(
    cubercnn_urls: list[str], golden_dir: Path
) -> None:
    expected = load_expected(golden_dir / "expected_cubercnn.json")["adt_cubercnn"][0][0]
    (sample,) = list(load_atek_wds_dataset_as_cubercnn(cubercnn_urls, batch_size=None, repeat_flag=False))
    t_world_camera = sample["T_world_camera"]
    assert isinstance(t_world_camera, np.ndarray)
    assert t_world_camera.dtype == np.float64
    # float64 composition: equal to the original's Sophus result up to the last bits.
    assert mismatches(expected["T_world_camera"], torch.from_numpy(t_world_camera), atol=1e-12) == []
    assert mismatches(expected["instances"], sample["instances"]) == []
    # Through the original's documented name of the reverse conversion.
    atek_gt = CubeRCNNModelAdaptor.cubercnn_gt_to_atek_gt(sample, t_world_camera)
    assert atek_gt is not None
    assert torch.equal(atek_gt["obb3_gt"]["camera-rgb"]["category_ids"], sample["category"])
