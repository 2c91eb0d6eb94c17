"""The README's demo runs the whole user journey against a real local store."""

from __future__ import annotations

from pathlib import Path

import pytest

from atek_store.cli import main
from atek_store.demo import MARKER, OUTPUTS, claim_workdir, run_demo
from atek_store.errors import UsageError
from atek_store.format import iter_shard


def test_demo_runs_the_user_journey_end_to_end(tmp_path: Path) -> None:
    printed: list[str] = []
    report = run_demo(tmp_path / "demo", echo=printed.append)
    assert printed == report.lines
    text = "\n".join(report.lines)
    for step in ("[1/6]", "[2/6]", "[3/6]", "[4/6]", "[5/6]", "[6/6] server stopped"):
        assert step in text
    demo = tmp_path / "demo"
    assert (demo / "AtekSynthetic_ATEK_download_urls.json").is_file()
    for name in ("local_all_tars.yaml", "local_train_tars.yaml", "local_validation_tars.yaml"):
        assert (demo / "downloaded_local_wds" / "cubercnn" / name).is_file()
    assert (demo / "streamable_wds" / "streamable_all_tars.yaml").is_file()
    downloaded = sorted((demo / "downloaded_local_wds" / "cubercnn").glob("*/shards-*.tar"))
    assert len({p.parent.name for p in downloaded}) == 3  # --max-num-sequences 3
    assert all(sum(1 for _ in iter_shard(p)) > 0 for p in downloaded)
    assert (demo / "sample.png").stat().st_size > 10_000
    assert "CubeRCNN adaptor" in text
    assert "$ atek-store download --config-name cubercnn" in text  # the command a user would run
    assert (demo / MARKER).is_file()
    assert {p.name for p in demo.iterdir()} == {MARKER, *OUTPUTS}


def test_the_demo_refuses_a_folder_it_did_not_make(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "thesis.tex").write_text("years of work")
    assert main(["demo", "--workdir", str(tmp_path)]) == 2
    assert f"has no {MARKER} file" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["thesis.tex"]


def test_a_file_is_no_work_folder(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(UsageError, match="is a file"):
        claim_workdir(tmp_path / "f")


def test_a_new_or_empty_folder_becomes_the_demos(tmp_path: Path) -> None:
    assert (claim_workdir(tmp_path / "new" / "deeper") / MARKER).is_file()
    (tmp_path / "empty").mkdir()
    assert (claim_workdir(tmp_path / "empty") / MARKER).is_file()


def test_a_rerun_deletes_only_what_the_demo_writes(tmp_path: Path) -> None:
    work = claim_workdir(tmp_path / "demo")
    (work / "store" / "cubercnn").mkdir(parents=True)
    (work / "store" / "cubercnn" / "old.tar").write_bytes(b"old")
    (work / "sample.png").write_bytes(b"png")
    (work / "notes.txt").write_text("mine")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.tar").write_bytes(b"keep")
    (work / "downloaded_local_wds").symlink_to(elsewhere, target_is_directory=True)

    claim_workdir(work)

    assert sorted(p.name for p in work.iterdir()) == sorted([MARKER, "notes.txt"])
    assert (elsewhere / "keep.tar").read_bytes() == b"keep"  # the link went, not what it pointed at
