"""Samples that do not fit CubeRCNN give an AdaptorError naming the sample; missing GT is not an error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from atek_store.adaptors import CubeRCNNModelAdaptor
from atek_store.errors import AdaptorError
from atek_store.format import iter_shard
from tests.adaptors.scenes import Placement, sample_of

KEY = "synthetic_AtekDataSample_000042"


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    return sample_of([Placement(7, (160, 160), 2.0, (0.4, 0.4, 0.4))], key=KEY)


def _error(sample: dict[str, Any]) -> AdaptorError:
    with pytest.raises(AdaptorError) as caught:
        CubeRCNNModelAdaptor().adapt(sample)
    assert KEY in str(caught.value)
    assert caught.value.sample_key == KEY
    return caught.value


def test_multi_frame_samples_are_refused(sample: dict[str, Any]) -> None:
    images = sample["mfcd#camera-rgb+images"]
    error = _error({**sample, "mfcd#camera-rgb+images": torch.cat([images, images])})
    assert "2 frames" in str(error)


def test_fisheye_cameras_are_refused(sample: dict[str, Any]) -> None:
    error = _error({**sample, "mfcd#camera-rgb+camera_model_name": "CameraModelType.FISHEYE624"})
    assert "CameraModelType.LINEAR" in str(error)


def test_a_missing_key_is_named_with_its_atek_key(sample: dict[str, Any]) -> None:
    incomplete = {k: v for k, v in sample.items() if k != "mfcd#camera-rgb+frame_ids"}
    error = _error(incomplete)
    assert "'frame_id'" in str(error)
    assert "mfcd#camera-rgb+frame_ids" in str(error)


def test_disagreeing_obb2_and_obb3_instance_ids_are_refused(sample: dict[str, Any]) -> None:
    gt = sample["gt_data"]
    obb2 = {**gt["obb2_gt"]["camera-rgb"], "instance_ids": gt["obb2_gt"]["camera-rgb"]["instance_ids"] + 1}
    error = _error({**sample, "gt_data": {**gt, "obb2_gt": {"camera-rgb": obb2}}})
    assert "instance ids" in str(error)


def test_misshapen_ground_truth_is_refused(sample: dict[str, Any]) -> None:
    gt = sample["gt_data"]
    obb3 = {**gt["obb3_gt"]["camera-rgb"], "ts_world_object": torch.zeros(1, 4, 4)}
    error = _error({**sample, "gt_data": {**gt, "obb3_gt": {"camera-rgb": obb3}}})
    assert "ts_world_object" in str(error)


def test_efm_samples_are_refused_with_the_shard_named(golden_dir: Path) -> None:
    shard = golden_dir / "wds" / "adt_efm_short" / "shards-0000.tar"
    efm = next(iter_shard(shard))
    with pytest.raises(AdaptorError) as caught:
        CubeRCNNModelAdaptor().adapt(efm)
    assert efm["__key__"] in str(caught.value)
    assert str(shard) in str(caught.value)


def test_efm_ground_truth_alone_is_refused(sample: dict[str, Any]) -> None:
    error = _error({**sample, "gt_data": {"efm_gt": {"1": {}}}})
    assert "obb2_gt" in str(error)


def test_a_sample_without_ground_truth_has_no_instances(sample: dict[str, Any]) -> None:
    converted = CubeRCNNModelAdaptor().adapt({**sample, "gt_data": {}})
    assert converted is not None
    assert "instances" not in converted
    assert converted["T_world_camera"].shape == (3, 4)


def test_a_camera_that_saw_nothing_has_empty_instances(sample: dict[str, Any]) -> None:
    # Another camera's GT only: the rgb camera's empty dict vanished from gt_data on disk.
    gt = sample["gt_data"]
    other = {
        "obb2_gt": {"camera-slam-left": gt["obb2_gt"]["camera-rgb"]},
        "obb3_gt": {"camera-slam-left": gt["obb3_gt"]["camera-rgb"]},
    }
    converted = CubeRCNNModelAdaptor().adapt({**sample, "gt_data": other})
    assert converted is not None
    assert len(converted["instances"]) == 0
    assert converted["instances"].gt_boxes3D.shape == (0, 9)
    assert converted["Ts_world_object"].shape == (0, 3, 4)
