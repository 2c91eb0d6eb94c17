"""``atek.util``: the original's helpers on real data (the ADT category table, golden ground truth)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch
from atek.util.file_io_utils import (
    load_category_mapping_from_csv,
    merge_tensors_into_dict,
    separate_tensors_from_dict,
)
from atek.util.tensor_utils import check_dicts_same_w_tensors

from atek_store.errors import UsageError
from atek_store.format import iter_shard


def test_category_mapping_maps_each_raw_name_to_name_and_textual_id(shared_dir: Path) -> None:
    path = shared_dir / "data" / "category_mappings" / "adt_prototype_to_atek.csv"
    mapping = load_category_mapping_from_csv(str(path))
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    assert mapping == {row[0]: (row[1], row[2]) for row in rows}
    assert len(mapping) == 304


def test_golden_ground_truth_separates_and_merges_back(golden_dir: Path) -> None:
    (sample,) = list(iter_shard(golden_dir / "wds" / "adt_cubercnn" / "shards-0000.tar"))
    gt = sample["gt_data"]
    rest, tensors = separate_tensors_from_dict(gt)
    assert "obb3_gt+camera-rgb+ts_world_object" in tensors
    assert rest["obb3_gt"]["camera-rgb"] == {"category_names": gt["obb3_gt"]["camera-rgb"]["category_names"]}
    assert not any(isinstance(v, torch.Tensor) for v in rest["obb2_gt"]["camera-rgb"].values())
    assert check_dicts_same_w_tensors(merge_tensors_into_dict(rest, tensors), gt, atol=0)
    with pytest.raises(UsageError, match="'a.b'"):
        separate_tensors_from_dict({"a.b": torch.zeros(1)})
