"""``atek.util.file_io_utils``: the original's shard-list, category-mapping and nested-dict helpers."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import torch

from atek_store.format import keys
from atek_store.format.encode import split_gt_data
from atek_store.format.wds_sample import merge_tensors_into_dict, set_nested_dict_value
from atek_store.shardlists import load_yaml_and_extract_tar_list

__all__ = [
    "load_category_mapping_from_csv",
    "load_yaml_and_extract_tar_list",
    "merge_tensors_into_dict",
    "separate_tensors_from_dict",
    "set_nested_dict_value",
]


def load_category_mapping_from_csv(
    category_mapping_csv_file: str | os.PathLike[str],
) -> dict[str, tuple[str, str]]:
    """``{raw name: (ATEK category name, ATEK category id as text)}`` from a mapping CSV, as the original.

    Raises:
        ConfigError: the header is not the ATEK mapping header, or a row is malformed.
    """
    # Imported here: the preprocess package is not needed by anything else of `atek.util`.
    from atek_store.preprocess.category_mapping import load_category_mapping

    table = load_category_mapping(category_mapping_csv_file).table
    return {raw: (name, str(category_id)) for raw, (name, category_id) in table.items()}


def separate_tensors_from_dict(gt_dict: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """``(gt_dict without its tensors, {"a+b+c": tensor})``; sub-dicts left without any value vanish.

    Raises:
        UsageError: a key is empty or holds ``+``, ``.`` or ``/`` (it could not be stored in a shard).
    """
    rest, tensors = split_gt_data(gt_dict)
    return rest, {key.removeprefix(keys.GT_TENSOR_PREFIX): tensor for key, tensor in tensors.items()}
