"""Our Instances / Boxes behave as detectron2's do for training code; detectron2's are used when present."""

from __future__ import annotations

import pickle
import sys
import types
from typing import Any

import pytest
import torch

from atek_store.adaptors import Boxes, CubeRCNNModelAdaptor, Instances, instance_structures
from atek_store.errors import UsageError
from tests.adaptors.scenes import Placement, sample_of


def _instances() -> Instances:
    instances = Instances((480, 640))
    instances.gt_classes = torch.tensor([3, 5, 7])
    instances.gt_boxes = Boxes(
        torch.tensor([[0.0, 0.0, 10.0, 20.0], [5.0, 5.0, 6.0, 6.0], [1.0, 2.0, 4.0, 8.0]])
    )
    instances.set("names", ["a", "b", "c"])
    return instances


def test_fields_are_attributes_and_set_get_has() -> None:
    instances = _instances()
    assert instances.has("gt_classes")
    assert not instances.has("scores")
    assert instances.get("gt_classes") is instances.gt_classes
    assert list(instances.get_fields()) == ["gt_classes", "gt_boxes", "names"]
    assert len(instances) == 3
    assert instances.image_size == (480, 640)
    instances.remove("names")
    assert not instances.has("names")
    with pytest.raises(AttributeError, match="scores"):
        _ = instances.scores


def test_fields_must_all_have_one_entry_per_object() -> None:
    instances = _instances()
    with pytest.raises(UsageError, match="2 entries"):
        instances.scores = torch.zeros(2)


def test_indexing_selects_objects_in_every_field() -> None:
    instances = _instances()
    kept = instances[instances.gt_classes > 4]
    assert kept.gt_classes.tolist() == [5, 7]
    assert kept.gt_boxes.tensor.tolist() == [[5.0, 5.0, 6.0, 6.0], [1.0, 2.0, 4.0, 8.0]]
    assert kept.names == ["b", "c"]
    one = instances[0]
    assert len(one) == 1
    assert one.names == ["a"]
    assert one.gt_boxes.tensor.shape == (1, 4)
    with pytest.raises(IndexError):
        instances[3]


def test_boxes_area_centres_and_copies() -> None:
    boxes = _instances().gt_boxes
    assert boxes.area().tolist() == [200.0, 1.0, 18.0]
    assert boxes.get_centers()[0].tolist() == [5.0, 10.0]
    copy = boxes.clone()
    copy.tensor[0, 0] = 99.0
    assert boxes.tensor[0, 0] == 0.0
    with pytest.raises(UsageError):
        Boxes(torch.zeros(3, 5))
    assert Boxes(torch.zeros(0)).tensor.shape == (0, 4)


def test_cat_and_to_keep_every_field() -> None:
    instances = _instances()
    joined = Instances.cat([instances, instances[1:]])
    assert joined.gt_classes.tolist() == [3, 5, 7, 5, 7]
    assert len(joined.gt_boxes) == 5
    assert joined.names == ["a", "b", "c", "b", "c"]
    moved = instances.to("cpu")
    assert torch.equal(moved.gt_boxes.tensor, instances.gt_boxes.tensor)


def test_instances_pickle_across_worker_boundaries() -> None:
    instances = _instances()
    restored = pickle.loads(pickle.dumps(instances))
    assert restored.image_size == instances.image_size
    assert restored.names == instances.names
    assert torch.equal(restored.gt_boxes.tensor, instances.gt_boxes.tensor)


def test_repr_summarises_the_fields() -> None:
    text = repr(_instances())
    assert "num_instances=3" in text
    assert "gt_boxes: 3" in text


class _StandInInstances:
    """What a detectron2 Instances looks like from outside: attribute fields and an image size."""

    def __init__(self, image_size: tuple[int, int]) -> None:
        self.image_size = image_size


class _StandInBoxes:
    def __init__(self, tensor: torch.Tensor) -> None:
        self.tensor = tensor


def test_detectron2_structures_are_used_when_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert instance_structures().source == "atek_store"
    package = types.ModuleType("detectron2")
    structures: Any = types.ModuleType("detectron2.structures")
    structures.Instances = _StandInInstances
    structures.Boxes = _StandInBoxes
    package.structures = structures  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "detectron2", package)
    monkeypatch.setitem(sys.modules, "detectron2.structures", structures)

    found = instance_structures()
    assert found.source == "detectron2"
    converted = CubeRCNNModelAdaptor().adapt(sample_of([Placement(7, (160, 160), 2.0, (0.4, 0.4, 0.4))]))
    assert converted is not None
    assert isinstance(converted["instances"], _StandInInstances)
    assert isinstance(converted["instances"].gt_boxes, _StandInBoxes)
    assert converted["instances"].gt_boxes3D.shape == (1, 9)
