"""``atek.util.tensor_utils``: the original's tensor helpers, from atek-store (no projectaria-tools)."""

from __future__ import annotations

from atek_store.adaptors.tensors import (
    check_dicts_same_w_tensors,
    compute_bbox_corners_in_world,
    fill_or_trim_tensor,
    filter_obbs_by_confidence,
    filter_obbs_by_confidence_all_cams,
)
from atek_store.format.wds_sample import concat_list_of_tensors, unpack_list_of_tensors

__all__ = [
    "check_dicts_same_w_tensors",
    "compute_bbox_corners_in_world",
    "concat_list_of_tensors",
    "fill_or_trim_tensor",
    "filter_obbs_by_confidence",
    "filter_obbs_by_confidence_all_cams",
    "unpack_list_of_tensors",
]
