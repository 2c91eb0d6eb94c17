"""``atek-store inspect`` prints samples, keys with dtype and shape, cameras and GT counts per category."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from atek_store.cli import main
from tests.fault_server import Fault, FaultServer

CUBERCNN = "adt_cubercnn/shards-0000.tar"
EFM = "adt_efm_short/shards-0000.tar"


def test_inspect_a_shard(golden_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(golden_dir / "wds" / CUBERCNN)]) == 0
    out = capsys.readouterr().out
    assert "1 sample, sequence adt_test_seq" in out
    assert "AdtPublicRelease2023_AtekDataSample_000000" in out
    assert "mfcd#camera-rgb+images" in out
    assert re.search(r"mfcd#camera-rgb\+images\s+uint8\s+\[1, 3, 1408, 1408\]", out)
    assert re.search(r"gt_data.obb3_gt.camera-rgb.ts_world_object\s+float32\s+\[91, 3, 4\]", out)
    assert re.search(r"camera-rgb\s+LINEAR\s+1 frame\s+1408x1408x3\s+87551170813262\s+1330", out)
    # 91 objects: 47 'other', 11 bottles, 8 doors, ...
    assert "obb3_gt camera-rgb: 91 objects: other 47, bottle 11, door 8" in out


def test_inspect_one_sample_of_an_efm_shard(golden_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(golden_dir / "wds" / EFM), "--sample", "1"]) == 0
    out = capsys.readouterr().out
    assert "sample 1: _AtekDataSample_000001" in out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["camera", "model"])
    cameras = [line.split()[0] for line in lines[header + 2 : header + 6]]
    assert cameras == ["camera-rgb", "camera-slam-left", "camera-slam-right", "camera-rgb-depth"]
    assert re.search(r"camera-slam-left\s+FISHEYE624\s+2 frames\s+320x240x1", out)
    assert re.search(r"camera-rgb-depth\s+\(rgb calibration\)\s+2 frames\s+240x240x1", out)
    assert sum(1 for line in lines if line.startswith("  efm_gt ")) == 6  # 2 frames x 3 cameras


def test_inspect_as_json_counts_the_objects(golden_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(golden_dir / "wds" / EFM), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["key"] for s in data["samples"]] == ["_AtekDataSample_000000", "_AtekDataSample_000001"]
    keys = {k["key"]: k for k in data["samples"][0]["keys"]}
    assert keys["mfcd#camera-slam-left+images"]["dtype"] == "uint8"
    assert keys["mfcd#camera-slam-left+images"]["shape"] == [2, 1, 240, 320]
    per_sample = data["samples"][0]["objects_per_category"]
    assert sum(data["objects_per_category"].values()) == 2 * sum(per_sample.values())


def test_inspect_streams_a_url(
    golden_dir: Path, fault_server: FaultServer, capsys: pytest.CaptureFixture[str]
) -> None:
    base = fault_server.mount(golden_dir / "wds")
    fault_server.faults[f"/expired/{EFM}"] = Fault(status=403, status_times=None)
    assert main(["inspect", f"{base}/{EFM}?Expires=9&Signature=secret", "--sample", "0"]) == 0
    out = capsys.readouterr().out
    assert "sample 0: _AtekDataSample_000000" in out
    assert "secret" not in out
    assert main(["inspect", f"{base}/expired/{EFM}"]) == 3  # signed URLs expired
    assert "fresh URL JSON" in capsys.readouterr().err


def test_inspect_reports_bad_input(
    golden_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inspect", str(golden_dir / "wds" / CUBERCNN), "--sample", "4"]) == 2
    assert "has 1 sample; sample 4 does not exist" in capsys.readouterr().err
    assert main(["inspect", str(tmp_path / "missing.tar")]) == 2
    assert "missing.tar" in capsys.readouterr().err
    broken = tmp_path / "broken.tar"
    broken.write_bytes((golden_dir / "wds" / CUBERCNN).read_bytes()[:100_000])
    assert main(["inspect", str(broken)]) == 2
    assert "broken.tar" in capsys.readouterr().err
