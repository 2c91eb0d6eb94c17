"""One sequence into shards: shard cutting, keys, the output folder's safety, nothing half-written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from atek_store.errors import RawDataError, UsageError
from atek_store.format import iter_shard
from atek_store.preprocess import parse_config, preprocess_sequence
from tests.preprocess.conftest import needs_aria

pytestmark = needs_aria


def _config(path: Path, **writer: Any) -> Any:
    data = yaml.safe_load(path.read_text())
    data["wds_writer"].update(writer)
    return data


def _every_frame(store_configs: Path, **writer: Any) -> Any:
    """ADT cubercnn at 30 Hz, stride 1: one sample per rgb frame (6 on the test sequence)."""
    data = _config(store_configs / "AriaDigitalTwin_cubercnn_config.yaml", **writer)
    data["camera_temporal_subsampler"].update(main_camera_target_freq_hz=30.0, stride_length_in_num_frames=1)
    return parse_config(data, source="every_frame.yaml")


def _keys(folder: Path) -> dict[str, list[str]]:
    return {
        shard.name: [s["__key__"] for s in iter_shard(shard)] for shard in sorted(folder.glob("shards-*.tar"))
    }


def test_keys_keep_counting_across_shards(
    store_configs: Path, adt_sequence: Path, adt_mapping: Path, tmp_path: Path
) -> None:
    config = _every_frame(store_configs, max_samples_per_shard=4)
    result = preprocess_sequence(
        config,
        adt_sequence,
        sequence_name="seq",
        output_folder=tmp_path / "out",
        category_mapping=adt_mapping,
    )
    assert (result.samples_planned, result.samples_written, result.samples_in_shards) == (6, 6, 6)
    assert result.frames_processed == 6
    prefix = "AdtPublicRelease2023_AtekDataSample_"
    assert _keys(tmp_path / "out") == {
        "shards-0000.tar": [f"{prefix}{i:06d}" for i in range(4)],
        "shards-0001.tar": [f"{prefix}{i:06d}" for i in range(4, 6)],
    }
    assert [r.samples for r in result.shards] == [4, 2]
    assert all(r.path.parent == tmp_path / "out" and r.path.is_file() for r in result.shards)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["shards-0000.tar", "shards-0001.tar"]


def test_a_partial_last_shard_is_removed_when_asked(
    shared_dir: Path, adt_sequence: Path, adt_mapping: Path, tmp_path: Path
) -> None:
    data = _config(shared_dir / "golden" / "adt_efm_short_config.yaml", max_samples_per_shard=3)
    result = preprocess_sequence(
        parse_config(data),
        adt_sequence,
        sequence_name="s",
        output_folder=tmp_path,
        category_mapping=adt_mapping,
    )
    assert (result.samples_written, result.samples_in_shards, result.shards) == (2, 0, ())
    assert not list(tmp_path.glob("shards-*.tar"))


def test_a_sequence_too_short_for_a_sample_writes_nothing(
    store_configs: Path, adt_sequence: Path, adt_mapping: Path, tmp_path: Path
) -> None:
    # the store's ADT efm config wants 20 frames at 10 Hz; the test sequence has 2 at 10 Hz
    result = preprocess_sequence(
        store_configs / "AriaDigitalTwin_efm_config.yaml",
        adt_sequence,
        sequence_name="s",
        output_folder=tmp_path / "out",
        category_mapping=adt_mapping,
    )
    assert (result.samples_planned, result.samples_written, result.shards) == (0, 0, ())
    assert list((tmp_path / "out").iterdir()) == []


def test_existing_shards_are_not_overwritten_unless_asked(
    store_configs: Path, adt_sequence: Path, adt_mapping: Path, tmp_path: Path
) -> None:
    (tmp_path / "shards-0000.tar").write_bytes(b"somebody's shard")
    (tmp_path / "shards-0007.tar").write_bytes(b"a stale shard")
    (tmp_path / "notes.txt").write_text("keep me")
    (tmp_path / ".staging-0123456789ab").mkdir()  # left by a run that was killed
    config = store_configs / "AriaDigitalTwin_cubercnn_config.yaml"
    with pytest.raises(UsageError, match="already holds shards"):
        preprocess_sequence(config, adt_sequence, sequence_name="s", output_folder=tmp_path)
    assert (tmp_path / "shards-0000.tar").read_bytes() == b"somebody's shard"
    result = preprocess_sequence(
        config,
        adt_sequence,
        sequence_name="s",
        output_folder=tmp_path,
        category_mapping=adt_mapping,
        overwrite=True,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "shards-0000.tar"]
    assert len(result.shards) == 1
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_an_interrupted_run_leaves_no_shard_behind(
    store_configs: Path, adt_sequence: Path, adt_mapping: Path, tmp_path: Path
) -> None:
    config = _every_frame(store_configs, max_samples_per_shard=2)

    def stop_after_four(done: int, total: int) -> None:
        if done == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        preprocess_sequence(
            config,
            adt_sequence,
            sequence_name="s",
            output_folder=tmp_path,
            category_mapping=adt_mapping,
            progress=stop_after_four,
        )
    assert list(tmp_path.iterdir()) == []  # two shards were complete, but only in staging


def test_progress_reports_every_planned_sample(
    store_configs: Path, adt_sequence: Path, adt_mapping: Path, tmp_path: Path
) -> None:
    seen: list[tuple[int, int]] = []
    preprocess_sequence(
        _every_frame(store_configs),
        adt_sequence,
        sequence_name="s",
        output_folder=tmp_path,
        category_mapping=adt_mapping,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(i, 6) for i in range(1, 7)]


def test_a_raw_folder_without_ground_truth_is_refused_before_any_work(
    store_configs: Path, adt_sequence: Path, tmp_path: Path
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("video.vrs", "aria_trajectory.csv"):
        (raw / name).symlink_to(adt_sequence / name)
    with pytest.raises(RawDataError, match="3d_bounding_box.csv"):
        preprocess_sequence(
            store_configs / "AriaDigitalTwin_cubercnn_config.yaml",
            raw,
            sequence_name="s",
            output_folder=tmp_path / "o",
        )
    assert not (tmp_path / "o").exists()


def test_an_output_path_that_is_a_file_is_refused(
    store_configs: Path, adt_sequence: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out"
    target.write_text("a file")
    with pytest.raises(UsageError, match="is a file"):
        preprocess_sequence(
            store_configs / "AriaDigitalTwin_cubercnn_config.yaml",
            adt_sequence,
            sequence_name="s",
            output_folder=target,
        )
