"""``create_atek_dataloader_as_cubercnn`` yields what the original's does: lists of CubeRCNN samples."""

from __future__ import annotations

from pathlib import Path

import torch

from atek_store import CubeRCNNModelAdaptor, create_atek_dataloader_as_cubercnn
from atek_store.adaptors import Instances
from atek_store.format import iter_shard
from atek_store.synthetic import write_synthetic_store
from tests.golden import load_expected, mismatches


def _golden_shards(golden_dir: Path) -> list[str]:
    return [str(p) for p in sorted((golden_dir / "wds" / "adt_cubercnn").glob("*.tar"))]


def test_golden_batches_match_the_original_adaptors_dataloader(golden_dir: Path) -> None:
    expected = load_expected(golden_dir / "expected_cubercnn.json")["adt_cubercnn"]
    batches = list(create_atek_dataloader_as_cubercnn(_golden_shards(golden_dir), batch_size=2))
    # Batches are plain lists of sample dicts: same keys, dtypes and shapes, ints equal, floats within 1e-5.
    description = {
        "type": "list",
        "items": [
            {"type": "list", "items": [{"type": "dict", "items": s} for s in batch]} for batch in expected
        ],
    }
    assert mismatches(description, batches, atol=1e-5) == []
    assert batches[0][0]["T_world_camera"].dtype == torch.float64


def test_without_batch_size_items_are_single_samples(golden_dir: Path) -> None:
    (sample,) = list(create_atek_dataloader_as_cubercnn(_golden_shards(golden_dir)))
    assert isinstance(sample, dict)
    assert len(sample["instances"]) == 41


def test_worker_processes_deliver_instances_intact(tmp_path: Path) -> None:
    write_synthetic_store(tmp_path, config="cubercnn", sequences=2, samples_per_sequence=3, seed=3)
    shards = sorted(str(p) for p in tmp_path.glob("*/shards-*.tar"))
    single = [s for batch in create_atek_dataloader_as_cubercnn(shards, batch_size=2) for s in batch]
    parallel = [
        s for batch in create_atek_dataloader_as_cubercnn(shards, batch_size=2, num_workers=2) for s in batch
    ]
    assert len(single) == len(parallel) == 6
    by_key = {(s["sequence_name"], int(s["frame_id"][0])): s for s in single}
    for sample in parallel:
        reference = by_key[(sample["sequence_name"], int(sample["frame_id"][0]))]
        assert isinstance(sample["instances"], Instances)
        assert sample["instances"].image_size == (320, 320)
        assert torch.equal(sample["instances"].gt_boxes3D, reference["instances"].gt_boxes3D)
        assert torch.equal(sample["instances"].gt_boxes.tensor, reference["instances"].gt_boxes.tensor)


def test_custom_thresholds_go_through_the_adaptors_own_dataloader(golden_dir: Path) -> None:
    (raw,) = list(iter_shard(_golden_shards(golden_dir)[0]))
    obb3 = raw["gt_data"]["obb3_gt"]["camera-rgb"]
    # Depth of each object centre, straight from the stored poses (float64 numpy, no orthonormalising).
    world_device = raw["mtd#ts_world_device"][0].double().numpy()
    device_camera = raw["mfcd#camera-rgb+t_device_camera"].double().numpy()
    rotation = world_device[:, :3] @ device_camera[:, :3]
    origin = world_device[:, :3] @ device_camera[:, 3] + world_device[:, 3]
    centres = obb3["ts_world_object"][:, :, 3].double().numpy()
    depth = (centres - origin) @ rotation[:, 2]
    ranges = raw["gt_data"]["obb2_gt"]["camera-rgb"]["box_ranges"].numpy()
    area = (ranges[:, 1] - ranges[:, 0]) * (ranges[:, 3] - ranges[:, 2])
    wanted = int(((obb3["category_ids"].numpy() > 0) & (depth >= 0) & (area > 0)).sum())

    loose = CubeRCNNModelAdaptor(min_bb2d_area=0.0, min_bb3d_depth=0.0, max_bb3d_depth=1000.0)
    ((sample,),) = list(loose.create_dataloader(_golden_shards(golden_dir), batch_size=1))
    # With the limits at zero, 'other' (category 0), boxes behind the camera and empty 2D boxes are left out.
    assert len(sample["instances"]) == wanted
    assert 41 < wanted < 91 - 47  # more than with the default limits, fewer than all
