"""``atek-store preprocess-many``: a folder of recordings, exit 1 when one failed, resumable."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("projectaria_tools", reason="preprocessing needs the preprocess extra")

from atek_store.cli import main  # noqa: E402


def _args(shared_dir: Path, raw: Path, output: Path) -> list[str]:
    return [
        "preprocess-many",
        "--config",
        str(shared_dir / "golden" / "adt_efm_short_config.yaml"),
        "--raw-root",
        str(raw),
        "--output-root",
        str(output),
        "--category-mapping",
        str(shared_dir / "data" / "category_mappings" / "adt_prototype_to_atek.csv"),
        "--no-ray",
    ]


def test_a_failed_sequence_makes_exit_1_and_a_rerun_skips_the_rest(
    shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "good").symlink_to(shared_dir / "data" / "adt_test_sequence")
    (raw / "bad").mkdir()
    (raw / "bad" / "video.vrs").write_bytes(b"")
    output = tmp_path / "store"
    assert main(_args(shared_dir, raw, output)) == 1
    captured = capsys.readouterr()
    assert "1 done, 0 already done, 1 failed" in captured.out
    assert "failed bad: RawDataError" in captured.err
    assert (output / "efm" / "good" / "shards-0000.tar").is_file()
    assert (output / "preprocess_report_efm.json").is_file()
    assert main([*_args(shared_dir, raw, output), "--sequence", "good"]) == 0
    assert "0 done, 1 already done, 0 failed" in capsys.readouterr().out


def test_a_missing_raw_root_is_exit_2(
    shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_args(shared_dir, tmp_path / "nowhere", tmp_path / "store")) == 2
    assert "--raw-root" in capsys.readouterr().err


def test_num_cpus_must_be_positive(shared_dir: Path, tmp_path: Path) -> None:
    assert main([*_args(shared_dir, tmp_path, tmp_path / "store"), "--num-cpus", "0"]) == 2
