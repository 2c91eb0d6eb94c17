"""Ground truth: obb3 / obb2 / efm from the ADT files, category mapping, box centring."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from atek_store.errors import ConfigError
from atek_store.preprocess import _aria, find_raw_paths, load_category_mapping
from atek_store.preprocess.config import GroundTruthConfig
from atek_store.preprocess.ground_truth import GroundTruthProcessor, centred_box
from atek_store.preprocess.rectify import build_geometry
from tests.preprocess.conftest import needs_aria

pytestmark = needs_aria

RGB_TIME = 87551170813262
STREAMS = {"camera-rgb": "214-1", "camera-slam-left": "1201-1"}


@pytest.fixture(scope="module")
def ground_truth(adt_sequence: Path, adt_mapping: Path) -> GroundTruthProcessor:
    provider = _aria.open_vrs(str(adt_sequence / "video.vrs"))
    device = provider.get_device_calibration()
    geometries = {
        "camera-rgb": build_geometry(
            device.get_camera_calib("camera-rgb"), undistort=True, resolution=None, rotate=True
        ),
        "camera-slam-left": build_geometry(
            device.get_camera_calib("camera-slam-left"), undistort=False, resolution=(320, 240), rotate=False
        ),
    }
    return GroundTruthProcessor(
        find_raw_paths(adt_sequence),
        GroundTruthConfig(tolerance_ns=10_000_000, category_mapping_field_name="prototype_name"),
        stream_ids={label: _aria.stream_id(stream) for label, stream in STREAMS.items()},
        geometries=geometries,
        mapping=load_category_mapping(adt_mapping),
    )


def test_centring_moves_the_object_frame_to_the_box_centre() -> None:
    quarter_turn = np.array([[0.0, -1, 0, 10], [1, 0, 0, 20], [0, 0, 1, 30]])
    dims, pose = centred_box(np.array([0, 2, 0, 4, 0, 6]), quarter_turn)
    np.testing.assert_allclose(dims, [2, 4, 6])
    np.testing.assert_allclose(pose[:, :3], quarter_turn[:, :3])
    np.testing.assert_allclose(pose[:, 3], [10 - 2, 20 + 1, 30 + 3])  # R @ (1, 2, 3) + t


def test_obb3_and_obb2_list_the_same_objects_in_the_same_order(ground_truth: GroundTruthProcessor) -> None:
    obb3 = ground_truth.obb3(RGB_TIME)
    obb2 = ground_truth.obb2(RGB_TIME)
    assert obb3 is not None
    assert obb2 is not None
    for label, count in (("camera-rgb", 91), ("camera-slam-left", 69)):
        assert obb3[label]["instance_ids"].tolist() == obb2[label]["instance_ids"].tolist()
        assert len(obb3[label]["category_names"]) == count
        assert obb3[label]["object_dimensions"].shape == (count, 3)
        assert obb3[label]["ts_world_object"].shape == (count, 3, 4)
        assert obb3[label]["ts_world_object"].dtype == torch.float32
        assert (obb3[label]["object_dimensions"] > 0).all()
        ratios = obb2[label]["visibility_ratios"]
        assert ((ratios >= 0) & (ratios <= 1)).all()


def test_boxes_lie_inside_the_stored_images(ground_truth: GroundTruthProcessor) -> None:
    obb2 = ground_truth.obb2(RGB_TIME)
    assert obb2 is not None
    for label, (width, height) in (("camera-rgb", (1408, 1408)), ("camera-slam-left", (320, 240))):
        boxes = obb2[label]["box_ranges"]
        assert boxes.shape[1] == 4
        assert boxes.dtype == torch.float32
        assert (boxes[:, 0] <= boxes[:, 1]).all()
        assert (boxes[:, 2] <= boxes[:, 3]).all()
        assert boxes[:, :2].min() >= 0
        assert boxes[:, :2].max() <= width - 1
        assert boxes[:, 2:].min() >= 0
        assert boxes[:, 2:].max() <= height - 1


def test_categories_are_mapped_from_the_prototype(ground_truth: GroundTruthProcessor) -> None:
    obb3 = ground_truth.obb3(RGB_TIME)
    assert obb3 is not None
    rgb = obb3["camera-rgb"]
    index = rgb["instance_ids"].tolist().index(6317024575036344)  # WhiteTrashBin
    assert (rgb["category_names"][index], rgb["category_ids"][index].item()) == ("bin", 36)
    assert ("other", 0) in set(zip(rgb["category_names"], rgb["category_ids"].tolist(), strict=True))


def test_without_a_mapping_the_raw_categories_are_kept(adt_sequence: Path) -> None:
    processor = GroundTruthProcessor(
        find_raw_paths(adt_sequence),
        GroundTruthConfig(tolerance_ns=10_000_000, category_mapping_field_name="prototype_name"),
        stream_ids={"camera-rgb": _aria.stream_id("214-1")},
    )
    assert processor.category(6317024575036344) == ("trash can", 233)


def test_no_ground_truth_far_from_the_annotations(ground_truth: GroundTruthProcessor) -> None:
    assert ground_truth.obb3(RGB_TIME - 1_000_000_000) is None
    assert ground_truth.obb2(RGB_TIME - 1_000_000_000) is None
    # after the last annotation too (the original accepted arbitrarily stale GT there)
    assert ground_truth.obb3(RGB_TIME + 5_000_000_000) is None


def test_efm_ground_truth_is_keyed_by_frame_time(ground_truth: GroundTruthProcessor) -> None:
    efm = ground_truth.efm([RGB_TIME, RGB_TIME - 1_000_000_000])
    assert efm is not None
    assert list(efm) == [str(RGB_TIME)]
    assert set(efm[str(RGB_TIME)]) == set(STREAMS)
    assert ground_truth.efm([RGB_TIME - 1_000_000_000]) is None


def test_a_mapping_with_the_wrong_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mapping.csv"
    path.write_text("Prototype,Name,Id\nChair,chair,1\n")
    with pytest.raises(ConfigError, match="ATEK Category Name"):
        load_category_mapping(path)
    path.write_text("Prototype,ATEK Category Name,ATEK Category Id\nChair,chair,one\n")
    with pytest.raises(ConfigError, match=r"mapping.csv:2"):
        load_category_mapping(path)


def test_an_unmapped_name_is_other(adt_mapping: Path) -> None:
    mapping = load_category_mapping(adt_mapping)
    assert mapping.lookup("FloatingShelf") == ("shelves", 12)
    assert mapping.lookup("NoSuchPrototype") == ("other", 0)
