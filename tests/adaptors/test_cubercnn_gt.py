"""CubeRCNN instances convert back to ATEK obb3/obb2 dicts of the original's layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from atek_store.adaptors import Boxes, CubeRCNNModelAdaptor, Instances, cubercnn_gt_to_atek_gt
from atek_store.errors import AdaptorError
from atek_store.format import iter_shard


@pytest.fixture(scope="module")
def converted(golden_dir: Path) -> dict[str, Any]:
    (sample,) = list(iter_shard(golden_dir / "wds" / "adt_cubercnn" / "shards-0000.tar"))
    result = CubeRCNNModelAdaptor().adapt(sample)
    assert result is not None
    return result


def test_golden_ground_truth_comes_back_as_the_objects_it_was_made_from(converted: dict[str, Any]) -> None:
    before = set(converted["instances"].get_fields())
    atek = CubeRCNNModelAdaptor.cubercnn_gt_to_atek_gt(converted, converted["T_world_camera"])
    assert atek is not None
    assert set(converted["instances"].get_fields()) == before  # not modified
    assert list(atek) == ["obb3_gt", "obb2_gt", "scores"]
    obb3, obb2 = atek["obb3_gt"]["camera-rgb"], atek["obb2_gt"]["camera-rgb"]
    assert obb3["instance_ids"] is None
    assert obb2["visibility_ratios"] is None
    assert torch.equal(obb3["category_ids"], converted["category"])
    assert torch.allclose(obb3["object_dimensions"], converted["object_dimensions"], atol=1e-6)
    assert torch.allclose(obb3["ts_world_object"], converted["Ts_world_object"], atol=1e-5)
    boxes = converted["instances"].gt_boxes.tensor
    assert torch.equal(obb2["box_ranges"], boxes[:, [0, 2, 1, 3]])
    assert obb3["category_names"][:3] == obb2["category_names"][:3]
    assert torch.equal(atek["scores"], torch.ones(41))


def test_predictions_use_their_own_fields_and_ids_can_be_mapped(converted: dict[str, Any]) -> None:
    instances = Instances((8, 8))
    instances.pred_classes = torch.tensor([3, 5])
    instances.pred_boxes = Boxes(torch.tensor([[0.0, 1.0, 2.0, 3.0], [1.0, 1.0, 4.0, 4.0]]))
    instances.pred_dimensions = torch.tensor([[3.0, 2.0, 1.0], [1.0, 1.0, 1.0]])
    instances.pred_center_cam = torch.tensor([[0.0, 0.0, 2.0], [1.0, 0.0, 3.0]])
    instances.pred_pose = torch.eye(3).repeat(2, 1, 1)
    instances.scores = torch.tensor([0.9, 0.4])
    prediction = {"instances": instances}
    atek = cubercnn_gt_to_atek_gt(prediction, converted["T_world_camera"], "camera-rgb", {3: 1, 5: 2})
    assert atek is not None
    obb3 = atek["obb3_gt"]["camera-rgb"]
    assert obb3["category_ids"].dtype == torch.int32
    assert obb3["category_names"] == ["chair", "lamp"]
    assert obb3["object_dimensions"][0].tolist() == [1.0, 2.0, 3.0]  # z y x -> x y z
    assert atek["obb2_gt"]["camera-rgb"]["box_ranges"][0].tolist() == [0.0, 2.0, 1.0, 3.0]
    assert torch.equal(atek["scores"], instances.scores)
    with pytest.raises(AdaptorError, match="no entry in cubercnn_id_to_atek_id"):
        cubercnn_gt_to_atek_gt(prediction, converted["T_world_camera"], cubercnn_id_to_atek_id={3: 1})
    instances.pred_classes = torch.tensor([3, 99])
    with pytest.raises(AdaptorError, match="99 is not an ATEK category id"):
        cubercnn_gt_to_atek_gt(prediction, converted["T_world_camera"])
    assert cubercnn_gt_to_atek_gt({"instances": Instances((8, 8))}, converted["T_world_camera"]) is None
