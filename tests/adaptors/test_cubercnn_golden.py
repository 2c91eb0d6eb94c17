"""On the golden shard, the CubeRCNN adaptor gives what the original ATEK adaptor gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch.utils.data import default_convert

from atek_store.adaptors import CubeRCNNModelAdaptor, Instances, remap_keys
from atek_store.format import iter_shard
from tests.golden import load_expected, mismatches


@pytest.fixture(scope="module")
def golden_sample(golden_dir: Path) -> dict[str, Any]:
    (sample,) = list(iter_shard(golden_dir / "wds" / "adt_cubercnn" / "shards-0000.tar"))
    return sample


@pytest.fixture(scope="module")
def expected(golden_dir: Path) -> dict[str, Any]:
    batches = load_expected(golden_dir / "expected_cubercnn.json")["adt_cubercnn"]
    (batch,) = batches
    (sample,) = batch
    return sample


def test_golden_sample_converts_to_the_original_adaptors_output(
    golden_sample: dict[str, Any], expected: dict[str, Any]
) -> None:
    # The golden is what a DataLoader yields: its default_convert turns numpy arrays into tensors.
    converted = default_convert(CubeRCNNModelAdaptor().adapt(golden_sample))
    # Same keys, dtypes and shapes; integer tensors equal; float tensors within 1e-5.
    assert mismatches({"type": "dict", "items": expected}, converted, atol=1e-5) == []


def test_golden_float32_outputs_are_bit_exact(
    golden_sample: dict[str, Any], expected: dict[str, Any]
) -> None:
    converted = CubeRCNNModelAdaptor().adapt(golden_sample)
    assert converted is not None
    fields = expected["instances"]["fields"]
    # Poses orthonormalised like Sophus and rounded at the same points: the float32 values agree exactly.
    for name in ("gt_boxes", "gt_boxes3D", "gt_poses"):
        assert mismatches(fields[name], converted["instances"].get_fields()[name], atol=0.0) == [], name
    for name in ("K_matrix", "Ts_world_object", "object_dimensions"):
        assert mismatches(expected[name], converted[name], atol=0.0) == [], name
    # The image is the decoded frame, channels reversed, bit for bit.
    assert mismatches(expected["image"], converted["image"]) == []
    # Outside a DataLoader T_world_camera is numpy, as the original's Sophus matrix is.
    assert isinstance(converted["T_world_camera"], np.ndarray)
    assert converted["T_world_camera"].dtype == np.float64


def test_golden_instances_behave_like_detectron2s(golden_sample: dict[str, Any]) -> None:
    converted = CubeRCNNModelAdaptor().adapt(golden_sample)
    assert converted is not None
    instances = converted["instances"]
    assert isinstance(instances, Instances)  # detectron2 is not installed here
    assert len(instances) == 41
    assert instances.image_size == (1408, 1408)
    assert set(instances.get_fields()) == {"gt_classes", "gt_boxes", "gt_boxes3D", "gt_poses"}
    assert instances.gt_boxes.tensor.shape == (41, 4)
    assert torch.equal(instances.gt_classes, converted["category"])
    # Every kept object passes the three filters.
    assert (instances.gt_classes > 0).all()
    assert (instances.gt_boxes.area() > 100).all()
    depth = instances.gt_boxes3D[:, 2]
    assert ((depth >= 0.3) & (depth <= 5.0)).all()


def test_transform_is_the_loaders_data_transform_fn(golden_sample: dict[str, Any]) -> None:
    adaptor = CubeRCNNModelAdaptor()
    remapped = remap_keys(golden_sample, adaptor.get_dict_key_mapping_all())
    assert set(remapped) == {"__key__", "__url__", *adaptor.key_mapping.values()}
    (from_stream,) = list(adaptor(iter([remapped])))
    (from_original_name,) = list(adaptor.atek_to_cubercnn([remapped]))
    single = adaptor.adapt(golden_sample)
    assert single is not None
    for converted in (from_stream, from_original_name):
        assert set(converted) == set(single)
        assert torch.equal(converted["instances"].gt_boxes3D, single["instances"].gt_boxes3D)
