"""``atek-store preprocess``: one recording from the command line, errors as one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("projectaria_tools", reason="preprocessing needs the preprocess extra")

from atek_store.cli import main  # noqa: E402
from atek_store.format import iter_shard  # noqa: E402


@pytest.fixture(autouse=True)
def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATEK_STORE_NO_PROGRESS", "1")


def _args(shared_dir: Path, output: Path, config: str = "AriaDigitalTwin_cubercnn_config.yaml") -> list[str]:
    return [
        "preprocess",
        "--config",
        str(shared_dir / "data" / "preprocess_configs" / config),
        "--raw-folder",
        str(shared_dir / "data" / "adt_test_sequence"),
        "--sequence-name",
        "adt_test_seq",
        "--output-folder",
        str(output),
        "--category-mapping",
        str(shared_dir / "data" / "category_mappings" / "adt_prototype_to_atek.csv"),
    ]


def test_preprocess_writes_the_shards_and_says_so(
    shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_args(shared_dir, tmp_path / "out")) == 0
    out = capsys.readouterr().out
    assert "adt_test_seq: 1 samples in 1 shards" in out
    (sample,) = list(iter_shard(tmp_path / "out" / "shards-0000.tar"))
    assert sample["__key__"] == "AdtPublicRelease2023_AtekDataSample_000000"
    assert sample["mfcd#camera-rgb+images"].shape == (1, 3, 1408, 1408)


def test_existing_shards_need_overwrite(
    shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_args(shared_dir, tmp_path)) == 0
    assert main(_args(shared_dir, tmp_path)) == 2
    assert "already holds shards" in capsys.readouterr().err
    assert main([*_args(shared_dir, tmp_path), "--overwrite"]) == 0


def test_a_bad_config_is_one_line_and_exit_2(
    shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("atek_config_name: detr\n")
    args = _args(shared_dir, tmp_path / "out")
    args[args.index("--config") + 1] = str(config)
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "bad.yaml" in err[0]
    assert "atek_config_name" in err[0]


def test_a_raw_folder_missing_files_is_exit_2(
    shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _args(shared_dir, tmp_path / "out")
    args[args.index("--raw-folder") + 1] = str(tmp_path)
    assert main(args) == 2
    assert "video.vrs" in capsys.readouterr().err


def test_help_shows_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["preprocess", "--help"])
    assert "atek-store preprocess --config AriaDigitalTwin_cubercnn_config.yaml" in capsys.readouterr().out
