"""Honest results: a run with nothing to do says so; a selection with nothing in it is bad input (exit 2)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from atek_store.cli import main
from atek_store.download.api import download_atek_wds_sequences
from atek_store.errors import UsageError
from atek_store.selection import select_sequences
from tests.download.fake_store import FakeStore, build_store, download_args
from tests.fault_server import FaultServer

LAYOUT = {"seq_a": 1, "seq_b": 2, "seq_c": 1}


@pytest.fixture
def store(fault_server: FaultServer, tmp_path: Path) -> FakeStore:
    return build_store(fault_server, tmp_path / "urls.json", LAYOUT)


def test_a_rerun_with_everything_verified_says_nothing_to_fetch_and_fetches_nothing(
    store: FakeStore, tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(download_args(store.json_path, out)) == 0
    store.server.clear_log()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="atek_store"):
        assert main(download_args(store.json_path, out)) == 0
    assert store.server.log == []
    assert "nothing to fetch: all 4 selected shards" in caplog.text
    assert "shards selected" not in caplog.text  # no transfer phase was started
    report = json.loads((out / "download_report.json").read_text())
    assert {shard["status"] for shard in report["shards"]} == {"present"}
    capsys.readouterr()
    assert main([*download_args(store.json_path, out), "--dry-run"]) == 0
    assert "nothing to fetch" in capsys.readouterr().out


def test_a_partial_rerun_says_how_much_is_left(
    store: FakeStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out"
    assert main(download_args(store.json_path, out)) == 0
    (out / "seq_b" / "shards-0001.tar").unlink()
    with caplog.at_level(logging.INFO, logger="atek_store"):
        assert main(download_args(store.json_path, out)) == 0
    assert "1 of 4 shards to fetch" in caplog.text
    assert "3 already verified" in caplog.text


def test_a_config_without_sequences_is_bad_input(
    store: FakeStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(download_args(store.json_path, out, config="cubercnn")) == 2
    assert "lists no sequences" in capsys.readouterr().err
    assert not out.exists()


def test_sequences_without_shards_are_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "urls.json"
    path.write_text(json.dumps({"atek_data_for_all_configs": {"efm": {"wds_file_urls": {"a": {}, "b": {}}}}}))
    out = tmp_path / "out"
    assert main(download_args(path, out, local=False)) == 2
    assert "the 2 selected sequences" in capsys.readouterr().err
    assert not out.exists()


def test_a_split_json_the_subset_left_out_says_to_raise_max_num_sequences(
    store: FakeStore, tmp_path: Path
) -> None:
    kept = select_sequences(LAYOUT, seed=42, max_num_sequences=1)
    split = tmp_path / "split.json"
    split.write_text(
        json.dumps({"train_sequences": [n for n in LAYOUT if n not in kept], "val_sequences": []})
    )
    with pytest.raises(UsageError, match="raise --max-num-sequences") as info:
        download_atek_wds_sequences(
            "efm",
            store.json_path,
            0.9,
            42,
            tmp_path / "out",
            max_num_sequences=1,
            train_val_split_json_path=split,
        )
    assert info.value.flag == "--train-val-split-json-path"
    assert not (tmp_path / "out").exists()
    assert store.server.log == []
