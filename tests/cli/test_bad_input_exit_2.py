"""Bad input exits 2 with one line and writes nothing: publish, serve and synth."""

from __future__ import annotations

from pathlib import Path

import pytest

from atek_store.cli import main


def publish(root: Path, out: Path, *extra: str) -> list[str]:
    return [
        "publish",
        str(root),
        "--dataset-name",
        "ADT",
        "--base-url",
        "http://h",
        "--out",
        str(out),
        *extra,
    ]


def test_publishing_an_empty_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(publish(tmp_path, tmp_path / "u.json")) == 2
    assert "no shards found" in capsys.readouterr().err
    assert not (tmp_path / "u.json").exists()


def test_publishing_a_missing_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(publish(tmp_path / "missing", tmp_path / "u.json")) == 2
    assert "not a folder" in capsys.readouterr().err


@pytest.mark.parametrize("ttl", ["1e9", "inf", "nan", "0", "-1"])
def test_an_impossible_ttl_exits_2_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ttl: str
) -> None:
    argv = publish(tmp_path, tmp_path / "u.json", "--sign", "--secret", "s3cret", "--ttl-days", ttl)
    assert main(argv) == 2
    assert "--ttl-days" in capsys.readouterr().err
    assert not (tmp_path / "u.json").exists()


def test_synth_into_an_existing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "store"
    target.write_text("a file the user had")
    assert main(["synth", "--config", "cubercnn", "--sequences", "1", "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert "--out" in err
    assert "not a folder" in err
    assert target.read_text() == "a file the user had"


def test_serving_a_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "root"
    target.write_text("x")
    assert main(["serve", str(target), "--port", "0"]) == 2
    assert "not a folder" in capsys.readouterr().err
