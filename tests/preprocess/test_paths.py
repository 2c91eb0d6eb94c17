"""The raw folder layouts of ADT, ASE and a user's own MPS output are recognised."""

from __future__ import annotations

from pathlib import Path

import pytest

from atek_store.errors import RawDataError
from atek_store.preprocess import find_raw_paths, load_config
from atek_store.preprocess.paths import is_raw_sequence_folder


def test_the_adt_test_sequence_has_everything(adt_sequence: Path) -> None:
    paths = find_raw_paths(adt_sequence)
    assert paths.main_vrs == adt_sequence / "video.vrs"
    assert paths.trajectory == adt_sequence / "aria_trajectory.csv"
    assert paths.semidense_points == adt_sequence / "mps/slam/semidense_points.csv.gz"
    assert paths.semidense_observations == adt_sequence / "mps/slam/semidense_observations.csv.gz"
    assert paths.depth_vrs == adt_sequence / "depth_images.vrs"
    assert paths.instances == adt_sequence / "instances.json"
    assert is_raw_sequence_folder(adt_sequence)


def _touch(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"")


def test_ase_names_are_found(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "main.vrs",
        "closed_loop_trajectory.csv",
        "maps/maps_v1/globalcloud_GT.csv.gz",
        "maps/maps_v1/observations.csv.gz",
    )
    paths = find_raw_paths(tmp_path)
    assert paths.main_vrs == tmp_path / "main.vrs"
    assert paths.trajectory == tmp_path / "closed_loop_trajectory.csv"
    assert paths.semidense_points == tmp_path / "maps/maps_v1/globalcloud_GT.csv.gz"
    assert paths.semidense_observations == tmp_path / "maps/maps_v1/observations.csv.gz"


def test_the_first_candidate_wins(tmp_path: Path) -> None:
    _touch(tmp_path, "video.vrs", "main.vrs", "aria_trajectory.csv", "mps/slam/closed_loop_trajectory.csv")
    paths = find_raw_paths(tmp_path)
    assert paths.main_vrs == tmp_path / "video.vrs"
    assert paths.trajectory == tmp_path / "aria_trajectory.csv"


def test_a_missing_file_the_config_needs_is_named(tmp_path: Path, store_configs: Path) -> None:
    _touch(
        tmp_path,
        "video.vrs",
        "aria_trajectory.csv",
        "3d_bounding_box.csv",
        "scene_objects.csv",
        "instances.json",
    )
    paths = find_raw_paths(tmp_path)
    config = load_config(store_configs / "AriaDigitalTwin_cubercnn_config.yaml")
    with pytest.raises(RawDataError, match="2d_bounding_box.csv") as info:
        paths.check_for(config)
    assert str(tmp_path) in str(info.value)


def test_only_what_the_config_selects_is_required(tmp_path: Path, store_configs: Path) -> None:
    # cubercnn reads no depth and no semidense points
    _touch(
        tmp_path,
        "video.vrs",
        "aria_trajectory.csv",
        "3d_bounding_box.csv",
        "scene_objects.csv",
        "2d_bounding_box.csv",
        "instances.json",
    )
    find_raw_paths(tmp_path).check_for(load_config(store_configs / "AriaDigitalTwin_cubercnn_config.yaml"))
    with pytest.raises(RawDataError, match="semidense points"):
        find_raw_paths(tmp_path).check_for(load_config(store_configs / "AriaDigitalTwin_efm_config.yaml"))


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RawDataError, match="nowhere"):
        find_raw_paths(tmp_path / "nowhere")
    assert not is_raw_sequence_folder(tmp_path)
