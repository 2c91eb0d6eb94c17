"""The store's catalog: six dataset x config entries whose facts agree with the store's config YAMLs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from atek_store.catalog import CATALOG, CatalogEntry, catalog_entry, dataset_names
from atek_store.errors import UsageError


def test_six_entries_of_the_seed_table() -> None:
    assert [(entry.dataset, entry.config) for entry in CATALOG] == [
        ("AriaDigitalTwin", "cubercnn"),
        ("AriaDigitalTwin", "efm"),
        ("AriaSyntheticEnvironment", "cubercnn"),
        ("AriaSyntheticEnvironment", "cubercnn_eval"),
        ("AriaSyntheticEnvironment", "efm"),
        ("AriaSyntheticEnvironment", "efm_eval"),
    ]
    assert dataset_names() == ("AriaDigitalTwin", "AriaSyntheticEnvironment")


def test_lookup_by_short_name_and_unknown_entry() -> None:
    assert catalog_entry("ase", "efm_eval").dataset == "AriaSyntheticEnvironment"
    with pytest.raises(UsageError, match="AriaDigitalTwin/cubercnn"):
        catalog_entry("ADT", "cubercnn_eval")


def _config_yaml(shared_dir: Path, entry: CatalogEntry) -> dict[str, object]:
    path = shared_dir / "data" / "preprocess_configs" / f"{entry.dataset}_{entry.config}_config.yaml"
    loaded = yaml.safe_load(path.read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.mark.parametrize("entry", CATALOG, ids=lambda e: f"{e.short_name}-{e.config}")
def test_entry_agrees_with_the_stores_preprocessing_config(shared_dir: Path, entry: CatalogEntry) -> None:
    config = _config_yaml(shared_dir, entry)
    assert config["atek_config_name"] == entry.config
    sampler = config["camera_temporal_subsampler"]
    assert isinstance(sampler, dict)
    assert sampler["sample_length_in_num_frames"] == entry.frames_per_sample
    assert sampler["stride_length_in_num_frames"] == entry.stride_frames
    assert sampler["main_camera_target_freq_hz"] == entry.rate_hz
    writer = config["wds_writer"]
    assert isinstance(writer, dict)
    assert writer["max_samples_per_shard"] == entry.samples_per_shard
    assert writer["prefix_string"] == entry.key_prefix
    assert bool(writer.get("remove_last_tar_if_not_full", False)) == entry.drop_last_partial_shard
    processors = config["processors"]
    assert isinstance(processors, dict)
    rgb = processors["rgb"]
    # Only the spelling the original reads takes effect; the efm files' misspelt knob falls back to False.
    assert bool(rgb.get("undistort_to_linear_camera", False)) == entry.undistort_to_linear
    assert bool(rgb.get("rotate_image_cw90deg", False)) == entry.rotate_cw90
    size = rgb.get("target_camera_resolution") or []
    if size:
        assert entry.rgb_resolution == f"{size[0]}x{size[1]}"
    slams = [processors[name] for name in ("slam_left", "slam_right") if processors[name].get("selected")]
    assert ("camera-slam-left" in entry.cameras) == bool(slams)
    for slam in slams:
        assert entry.slam_resolution == "{}x{}".format(*slam["target_camera_resolution"])
    depth = processors.get("rgb_depth")
    assert ("camera-rgb-depth" in entry.cameras) == bool(depth and depth.get("selected"))
    gt = processors.get("obb_gt") or processors.get("efm_gt")
    assert isinstance(gt, dict)
    assert gt["category_mapping_field_name"] == entry.category_mapping
