"""``atek-store list`` and ``atek-store configs``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from atek_store.cli import main
from tests.download.fake_store import build_store
from tests.fault_server import FaultServer


@pytest.fixture
def json_path(tmp_path: Path) -> Iterator[Path]:
    with FaultServer() as server:
        build_store(server, tmp_path / "urls.json", {"seq_a": 2, "seq_b": 1}, shard_size=1024)
        yield tmp_path / "urls.json"


def test_list_shows_each_config_with_counts_and_size(
    json_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["list", str(json_path)]) == 0
    out = capsys.readouterr().out
    assert "ADT: 2 configs" in out
    efm = next(line for line in out.splitlines() if line.startswith("efm"))
    assert efm.split()[:3] == ["efm", "2", "3"]
    assert "3,072" in efm
    cubercnn = next(line for line in out.splitlines() if line.startswith("cubercnn"))
    assert cubercnn.split()[:3] == ["cubercnn", "0", "0"]


def test_list_one_config_shows_its_sequences(json_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", str(json_path), "--config", "efm"]) == 0
    out = capsys.readouterr().out
    assert "config efm: 2 sequences, 3 shards" in out
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines()[3:]}
    assert rows == {"seq_a": "2", "seq_b": "1"}


def test_list_unknown_config_and_bad_json_exit_2(
    json_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["list", str(json_path), "--config", "nope"]) == 2
    assert "available configs" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["list", str(bad)]) == 2


def test_configs_prints_the_six_entries(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["configs"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("Aria") and "  " in line]
    assert [row.split()[:2] for row in rows] == [
        ["AriaDigitalTwin", "cubercnn"],
        ["AriaDigitalTwin", "efm"],
        ["AriaSyntheticEnvironment", "cubercnn"],
        ["AriaSyntheticEnvironment", "cubercnn_eval"],
        ["AriaSyntheticEnvironment", "efm"],
        ["AriaSyntheticEnvironment", "efm_eval"],
    ]
    assert "rgb, slam-left, slam-right, rgb-depth" in out
    assert "stream type 214" in out


def test_configs_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["configs", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert len(entries) == 6
    assert entries[1]["frames_per_sample"] == 20
    assert entries[1]["samples_per_shard"] == 8
