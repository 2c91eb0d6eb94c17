"""The download command line: hostile input writes nothing and exits 2; dry run; the seed's script."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from atek_store.cli import main
from tests.download.fake_store import FakeStore, build_store, download_args
from tests.fault_server import FaultServer

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(fault_server: FaultServer, tmp_path: Path) -> FakeStore:
    return build_store(fault_server, tmp_path / "urls.json", {"seq_a": 1, "seq_b": 2, "seq_c": 1})


def download(json_path: Path, out: Path, *extra: str) -> int:
    return main(download_args(json_path, out, *extra))


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize(
    ("sequence", "key"),
    [("../../x", "shards-0000_tar"), ("/tmp/abs", "shards-0000_tar"), ("seq_ok", "a/b"), ("..", "x_tar")],
)
def test_hostile_json_writes_nothing_and_exits_2(
    store: FakeStore, tmp_path: Path, capsys: pytest.CaptureFixture[str], sequence: str, key: str
) -> None:
    data = json.loads(store.json_path.read_text())
    urls = data["atek_data_for_all_configs"]["efm"]["wds_file_urls"]
    urls[sequence] = {key: dict(next(iter(urls["seq_a"].values())))}
    store.json_path.write_text(json.dumps(data))
    before = files_under(tmp_path)
    out = tmp_path / "deep" / "out"
    assert download(store.json_path, out) == 2
    assert files_under(tmp_path) == before
    assert not Path("/tmp/abs").exists()
    assert store.server.log == []
    err = capsys.readouterr().err
    assert "refusing to use it as a path" in err
    assert repr(sequence if key.endswith("_tar") else key) in err


def test_unknown_config_lists_available_and_exits_2(
    store: FakeStore, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "download",
            "--config-name",
            "nope",
            "--input-json-path",
            str(store.json_path),
            "--output-folder-path",
            "x",
        ]
    )
    assert code == 2
    assert "available configs: cubercnn, efm" in capsys.readouterr().err


def test_missing_required_flag_is_an_argparse_error_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["download", "--input-json-path", "x.json", "--output-folder-path", "out"])
    assert info.value.code == 2
    assert "--config-name" in capsys.readouterr().err


@pytest.mark.parametrize(("flag", "value"), [("--train-val-split-ratio", "1.5"), ("--workers", "0")])
def test_bad_numbers_exit_2(store: FakeStore, tmp_path: Path, flag: str, value: str) -> None:
    assert download(store.json_path, tmp_path / "out", flag, value) == 2
    assert not (tmp_path / "out").exists()


def test_dry_run_prints_the_plan_and_touches_nothing(
    store: FakeStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = files_under(tmp_path)
    assert download(store.json_path, tmp_path / "out", "--dry-run", "--train-val-split-ratio", "0.67") == 0
    assert files_under(tmp_path) == before
    assert store.server.log == []
    printed = capsys.readouterr().out
    assert "3 of 3 sequences selected" in printed
    assert "train (2):" in printed
    assert "validation (1):" in printed
    assert "shards: 4 (" in printed
    assert f"({4 * 64 * 1024:,} bytes)" in printed
    assert "nothing was written" in printed


def test_file_urls_need_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = b"local shard bytes" * 100
    source = tmp_path / "src.tar"
    source.write_bytes(body)
    shard = {
        "sha1sum": hashlib.sha1(body, usedforsecurity=False).hexdigest(),
        "file_size_bytes": len(body),
        "download_url": source.as_uri(),
    }
    doc = {"atek_data_for_all_configs": {"efm": {"wds_file_urls": {"s": {"shards-0000_tar": shard}}}}}
    json_path = tmp_path / "urls.json"
    json_path.write_text(json.dumps(doc))
    out = tmp_path / "out"
    assert download(json_path, out) == 2
    assert "--allow-file-urls" in capsys.readouterr().err
    assert not out.exists()
    assert download(json_path, out, "--allow-file-urls") == 0
    assert (out / "s" / "shards-0000.tar").read_bytes() == body


def test_the_seeds_command_works_verbatim_through_the_tools_script(store: FakeStore, tmp_path: Path) -> None:
    out = tmp_path / "downloaded_local_wds"
    command = [
        sys.executable,
        str(REPO / "tools" / "atek_wds_data_downloader.py"),
        "--config-name",
        "efm",
        "--input-json-path",
        str(store.json_path),
        "--output-folder-path",
        str(out),
        "--max-num-sequences",
        "10",
        "--train-val-split-ratio",
        "0.8",
        "--random-seed",
        "42",
        "--download-wds-to-local",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "4 downloaded and verified" in done.stdout
    assert sorted(p.name for p in out.glob("*.yaml")) == [
        "local_all_tars.yaml",
        "local_train_tars.yaml",
        "local_validation_tars.yaml",
    ]
    for relpath, body in store.data.items():
        assert (out / relpath).read_bytes() == body
