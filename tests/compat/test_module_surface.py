"""Our `atek` is installed by the setup and has the original's module paths, names and signatures."""

from __future__ import annotations

import importlib
import inspect
import json
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT

# What downstream code imports from the original (EFM3D, the original's tools, docs and notebooks).
ORIGINAL_NAMES = {
    "atek.data_loaders.atek_wds_dataloader": [
        "atek_default_collation_fn",
        "create_native_atek_dataloader",
        "load_atek_wds_dataset",
        "process_wds_sample",
        "select_and_remap_dict_keys",
        "simple_list_collation_fn",
    ],
    "atek.data_loaders.cubercnn_model_adaptor": [
        "CubeRCNNModelAdaptor",
        "create_atek_dataloader_as_cubercnn",
        "cubercnn_collation_fn",
        "load_atek_wds_dataset_as_cubercnn",
    ],
    "atek.data_loaders.sam2_model_adaptor": ["Sam2ModelAdaptor", "create_atek_dataloader_as_sam2"],
    "atek.data_download.atek_data_store_download": ["download_atek_wds_sequences"],
    "atek.util.file_io_utils": [
        "load_category_mapping_from_csv",
        "load_yaml_and_extract_tar_list",
        "merge_tensors_into_dict",
        "separate_tensors_from_dict",
        "set_nested_dict_value",
    ],
    "atek.util.tensor_utils": [
        "check_dicts_same_w_tensors",
        "compute_bbox_corners_in_world",
        "concat_list_of_tensors",
        "fill_or_trim_tensor",
        "filter_obbs_by_confidence",
        "filter_obbs_by_confidence_all_cams",
        "unpack_list_of_tensors",
    ],
    "atek.util.atek_constants": ["ATEK_CATEGORY_ID_TO_NAME", "ATEK_CATEGORY_NAME_TO_ID"],
}

LOADER = "atek.data_loaders.atek_wds_dataloader"
CUBERCNN = "atek.data_loaders.cubercnn_model_adaptor"
SAM2 = "atek.data_loaders.sam2_model_adaptor"
TENSORS = "atek.util.tensor_utils"
FILES = "atek.util.file_io_utils"

# (module, attribute) -> the original's positional parameters in order, with their defaults ("=?":
# one whose default differs on purpose, e.g. nodesplitter).
ORIGINAL_SIGNATURES = {
    ("atek.data_download.atek_data_store_download", "download_atek_wds_sequences"): (
        "config_name, input_json_path, train_val_split_ratio, random_seed, output_folder_path, "
        "max_num_sequences=None, download_wds_to_local=False, train_val_split_json_path=None, overwrite=False"
    ),
    (LOADER, "load_atek_wds_dataset"): (
        "urls, nodesplitter=?, dict_key_mapping=None, data_transform_fn=None, batch_size=None, "
        "collation_fn=?, repeat_flag=False, shuffle_flag=False"
    ),
    (LOADER, "create_native_atek_dataloader"): (
        "urls, nodesplitter=?, dict_key_mapping=None, data_transform_fn=None, collation_fn=?, "
        "batch_size=None, repeat_flag=False, shuffle_flag=False, num_workers=0"
    ),
    (LOADER, "process_wds_sample"): "sample",
    (LOADER, "select_and_remap_dict_keys"): "sample_dict, key_mapping",
    (CUBERCNN, "create_atek_dataloader_as_cubercnn"): (
        "urls, batch_size=None, repeat_flag=False, shuffle_flag=False, num_workers=0"
    ),
    (CUBERCNN, "load_atek_wds_dataset_as_cubercnn"): "urls, batch_size, repeat_flag, shuffle_flag=False",
    (CUBERCNN, "CubeRCNNModelAdaptor"): "min_bb2d_area=100.0, min_bb3d_depth=0.3, max_bb3d_depth=5.0",
    (CUBERCNN, "CubeRCNNModelAdaptor.cubercnn_gt_to_atek_gt"): (
        "cubercnn_dict, T_world_camera_np, camera_label='camera-rgb', cubercnn_id_to_atek_id=None"
    ),
    (SAM2, "Sam2ModelAdaptor"): "num_boxes=5",
    (SAM2, "create_atek_dataloader_as_sam2"): (
        "urls, batch_size=None, repeat_flag=False, shuffle_flag=False, num_workers=0, num_prompt_boxes=5"
    ),
    (TENSORS, "fill_or_trim_tensor"): "tensor, dim_size, dim, fill_value=None",
    (TENSORS, "check_dicts_same_w_tensors"): "dict_1, dict_2, atol=1e-05",
    (TENSORS, "concat_list_of_tensors"): "tensor_list",
    (TENSORS, "unpack_list_of_tensors"): "stacked_tensor, lengths_of_tensors",
    (TENSORS, "compute_bbox_corners_in_world"): "object_dimensions, Ts_world_object",
    (TENSORS, "filter_obbs_by_confidence"): "obb_dict, confidence_score, confidence_lower_threshold",
    (
        TENSORS,
        "filter_obbs_by_confidence_all_cams",
    ): "all_cam_dict, confidence_score, confidence_lower_threshold",
    (FILES, "load_yaml_and_extract_tar_list"): "yaml_path",
    (FILES, "load_category_mapping_from_csv"): "category_mapping_csv_file",
    (FILES, "set_nested_dict_value"): "nested_dict, keys_as_path, value",
    (FILES, "separate_tensors_from_dict"): "gt_dict",
    (FILES, "merge_tensors_into_dict"): "gt_dict_no_tensors, tensor_dict",
}


def positional_signature(target: Any, unchecked: set[str]) -> str:
    """``"a, b=1"``: the positional parameters of ``target`` with defaults (``=?`` for ``unchecked``)."""
    parts = []
    for parameter in inspect.signature(target).parameters.values():
        if parameter.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD:
            continue
        if parameter.default is inspect.Parameter.empty:
            parts.append(parameter.name)
        elif parameter.name in unchecked:
            parts.append(f"{parameter.name}=?")
        else:
            parts.append(f"{parameter.name}={parameter.default!r}")
    return ", ".join(parts)


def test_the_setup_installs_this_checkouts_atek() -> None:
    import atek

    assert metadata.distribution("atek-store-compat").version
    assert Path(atek.__file__).resolve().is_relative_to(REPO_ROOT / "compat" / "src")


@pytest.mark.parametrize("module_name", sorted(ORIGINAL_NAMES))
def test_every_name_downstream_code_imports_is_there(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert sorted(module.__all__) == ORIGINAL_NAMES[module_name]
    for name in ORIGINAL_NAMES[module_name]:
        assert getattr(module, name) is not None


@pytest.mark.parametrize(
    ("where", "expected"), list(ORIGINAL_SIGNATURES.items()), ids=[name for _, name in ORIGINAL_SIGNATURES]
)
def test_positional_parameters_are_the_originals(where: tuple[str, str], expected: str) -> None:
    target: Any = importlib.import_module(where[0])
    for part in where[1].split("."):
        target = getattr(target, part)
    unchecked = {part.partition("=")[0] for part in expected.split(", ") if part.endswith("=?")}
    assert positional_signature(target, unchecked) == expected


def test_category_constants_are_atek_49_categories(shared_dir: Path) -> None:
    from atek.util.atek_constants import ATEK_CATEGORY_ID_TO_NAME, ATEK_CATEGORY_NAME_TO_ID

    table = json.loads((shared_dir / "data" / "category_mappings" / "atek_id_to_name.json").read_text())
    assert {int(key): name for key, name in table.items()} == dict(ATEK_CATEGORY_ID_TO_NAME)
    assert {name: index for index, name in ATEK_CATEGORY_ID_TO_NAME.items()} == dict(ATEK_CATEGORY_NAME_TO_ID)
    assert len(ATEK_CATEGORY_NAME_TO_ID) == 49
    assert ATEK_CATEGORY_NAME_TO_ID["other"] == 0
