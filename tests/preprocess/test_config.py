"""The store's YAML configurations parse as they are, and bad ones are refused with the key named."""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

import pytest
import yaml

from atek_store.errors import ConfigError
from atek_store.preprocess import load_config, parse_config

STORE_CONFIGS = {
    "AriaDigitalTwin_cubercnn_config.yaml": ("cubercnn", "obb", ["camera-rgb"], 1, 2),
    "AriaDigitalTwin_efm_config.yaml": (
        "efm",
        "efm",
        ["camera-rgb", "camera-slam-left", "camera-slam-right"],
        20,
        10,
    ),
    "AriaSyntheticEnvironment_cubercnn_config.yaml": ("cubercnn", "obb", ["camera-rgb"], 1, 2),
    "AriaSyntheticEnvironment_cubercnn_eval_config.yaml": ("cubercnn_eval", "obb", ["camera-rgb"], 1, 1),
    "AriaSyntheticEnvironment_efm_config.yaml": (
        "efm",
        "efm",
        ["camera-rgb", "camera-slam-left", "camera-slam-right"],
        20,
        10,
    ),
    "AriaSyntheticEnvironment_efm_eval_config.yaml": (
        "efm_eval",
        "efm",
        ["camera-rgb", "camera-slam-left", "camera-slam-right"],
        20,
        10,
    ),
}


@pytest.mark.parametrize("file_name", sorted(STORE_CONFIGS))
def test_every_store_config_parses(store_configs: Path, file_name: str) -> None:
    name, builder, cameras, frames, stride = STORE_CONFIGS[file_name]
    config = load_config(store_configs / file_name)
    assert (config.name, config.builder) == (name, builder)
    assert [camera.sensor_label for camera in config.cameras] == cameras
    assert (config.subsampler.frames_per_sample, config.subsampler.stride) == (frames, stride)
    assert config.subsampler.target_freq_hz == 10.0
    assert config.trajectory_tolerance_ns == 10_000_000


def test_adt_cubercnn_undistorts_and_rotates_at_full_size(store_configs: Path) -> None:
    config = load_config(store_configs / "AriaDigitalTwin_cubercnn_config.yaml")
    (rgb,) = config.cameras
    assert rgb.undistort_to_linear_camera
    assert rgb.rotate_cw90
    assert rgb.target_resolution is None
    assert config.ground_truth is not None
    assert config.ground_truth.category_mapping_field_name == "prototype_name"
    assert config.ground_truth.bbox2d_num_samples_on_edge == 10
    assert (config.writer.prefix_string, config.writer.max_samples_per_shard) == ("AdtPublicRelease2023", 32)
    assert not config.writer.remove_last_tar_if_not_full
    assert config.depth is None
    assert config.semidense_tolerance_ns is None


def test_misspelled_efm_knobs_are_not_read_as_in_the_original(
    store_configs: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="atek_store.preprocess.config"):
        ase = load_config(store_configs / "AriaSyntheticEnvironment_efm_config.yaml")
    assert ase.depth is not None
    # the file says convert_zdepth_to_dist: false and undistort_to_linear_cam: false; the keys the
    # original reads are absent, so their defaults (False) apply
    assert ase.depth.convert_zdepth_to_distance is False
    assert ase.depth.stream_type_id == "214"
    assert ase.depth.stream_id is None
    assert not ase.camera("camera-rgb").undistort_to_linear_camera  # type: ignore[union-attr]
    assert "processors.rgb_depth.convert_zdepth_to_dist" in ase.unread_keys
    assert "processors.rgb.undistort_to_linear_cam" in ase.unread_keys
    assert any("convert_zdepth_to_dist is not read" in r.message for r in caplog.records)
    adt = load_config(store_configs / "AriaDigitalTwin_efm_config.yaml")
    assert adt.depth is not None
    assert adt.depth.convert_zdepth_to_distance is True
    assert adt.depth.stream_id == "345-1"
    assert adt.depth.unit_scaling == 0.001
    rgb = adt.camera("camera-rgb")
    assert rgb is not None
    assert rgb.target_resolution == (240, 240)
    assert not rgb.rescale_antialias


def test_a_misspelled_knob_set_to_true_warns_that_it_has_no_effect(
    store_configs: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = yaml.safe_load((store_configs / "AriaDigitalTwin_efm_config.yaml").read_text())
    data["processors"]["rgb"]["undistort_to_linear_cam"] = True
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(data))
    with caplog.at_level(logging.INFO, logger="atek_store.preprocess.config"):
        config = load_config(path)
    assert not config.cameras[0].undistort_to_linear_camera
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "undistort_to_linear_camera" in warnings[0].message


def _adt_efm(store_configs: Path) -> dict[str, Any]:
    data = yaml.safe_load((store_configs / "AriaDigitalTwin_efm_config.yaml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (lambda d: d.update(atek_config_name="detr"), "atek_config_name"),
        (
            lambda d: d["processors"]["rgb"].update(target_camera_resolution=[240]),
            "processors.rgb.target_camera_resolution",
        ),
        (lambda d: d["processors"]["rgb"].update(tolerance_ns=-5), "processors.rgb.tolerance_ns"),
        (lambda d: d["processors"]["rgb"].update(time_domain="WALL_TIME"), "processors.rgb.time_domain"),
        (lambda d: d["processors"]["slam_left"].pop("sensor_label"), "processors.slam_left.sensor_label"),
        (
            lambda d: d["camera_temporal_subsampler"].update(stride_length_in_num_frames=0),
            "camera_temporal_subsampler.stride_length_in_num_frames",
        ),
        (
            lambda d: d["camera_temporal_subsampler"].update(main_camera_target_freq_hz=0),
            "camera_temporal_subsampler.main_camera_target_freq_hz",
        ),
        (
            lambda d: d["processors"]["rgb_depth"].pop("depth_stream_id"),
            "processors.rgb_depth.depth_stream_id",
        ),
        (
            lambda d: d["processors"]["rgb_depth"].update(unit_scaling="mm"),
            "processors.rgb_depth.unit_scaling",
        ),
        (
            lambda d: d["processors"]["efm_gt"].update(category_mapping_field_name="name"),
            "processors.efm_gt.category_mapping_field_name",
        ),
        (lambda d: d["wds_writer"].update(prefix_string="a.b"), "wds_writer.prefix_string"),
        (lambda d: d["wds_writer"].update(max_samples_per_shard=0), "wds_writer.max_samples_per_shard"),
        (lambda d: d["processors"]["rgb"].update(selected=False), "processors.rgb"),
    ],
)
def test_a_bad_value_is_refused_naming_the_key(store_configs: Path, edit: Any, key: str) -> None:
    data = copy.deepcopy(_adt_efm(store_configs))
    edit(data)
    with pytest.raises(ConfigError) as info:
        parse_config(data, source="my.yaml")
    assert key in str(info.value)
    assert "my.yaml" in str(info.value)


def test_a_cubercnn_config_must_have_one_frame_per_sample(store_configs: Path) -> None:
    data = yaml.safe_load((store_configs / "AriaDigitalTwin_cubercnn_config.yaml").read_text())
    data["camera_temporal_subsampler"]["sample_length_in_num_frames"] = 2
    with pytest.raises(ConfigError, match="sample_length_in_num_frames"):
        parse_config(data)


def test_depth_needs_the_rgb_camera(store_configs: Path) -> None:
    data = _adt_efm(store_configs)
    data["processors"]["rgb"]["selected"] = False
    with pytest.raises(ConfigError, match="rgb_depth"):
        parse_config(data)


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("atek_config_name: [unclosed\n")
    with pytest.raises(ConfigError, match="broken.yaml"):
        load_config(path)


def test_fingerprint_follows_content_not_location(store_configs: Path, tmp_path: Path) -> None:
    original = load_config(store_configs / "AriaDigitalTwin_efm_config.yaml")
    copied = tmp_path / "copy.yaml"
    copied.write_text((store_configs / "AriaDigitalTwin_efm_config.yaml").read_text())
    assert load_config(copied).fingerprint() == original.fingerprint()
    data = _adt_efm(store_configs)
    data["wds_writer"]["max_samples_per_shard"] = 9
    assert parse_config(data).fingerprint() != original.fingerprint()
