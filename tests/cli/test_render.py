"""``atek-store render`` writes a PNG of a sample's frames with its boxes."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from atek_store.cli import main
from tests.fault_server import FaultServer

EFM = "adt_efm_short/shards-0000.tar"


def test_render_writes_a_png(golden_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "efm.png"
    assert main(["render", str(golden_dir / "wds" / EFM), "--sample", "1", "--out", str(out)]) == 0
    message = capsys.readouterr().out
    assert "8 frame panels" in message
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.width > image.height > 360


def test_render_options_change_the_drawing(
    golden_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shard = str(golden_dir / "wds" / "adt_cubercnn" / "shards-0000.tar")
    assert main(["render", shard, "--out", str(tmp_path / "a.png"), "--no-3d", "--panel-height", "400"]) == 0
    assert "91 2D boxes, 0 3D boxes" in capsys.readouterr().out
    assert main(["render", shard, "--out", str(tmp_path / "b.png"), "--no-2d", "--no-labels"]) == 0
    assert "0 2D boxes" in capsys.readouterr().out
    with Image.open(tmp_path / "a.png") as image:
        assert image.height < 500


def test_render_streams_a_url(golden_dir: Path, tmp_path: Path, fault_server: FaultServer) -> None:
    base = fault_server.mount(golden_dir / "wds")
    assert main(["render", f"{base}/{EFM}", "--sample", "0", "--out", str(tmp_path / "u.png")]) == 0
    assert (tmp_path / "u.png").is_file()


def test_render_reports_bad_input(
    golden_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shard = str(golden_dir / "wds" / EFM)
    assert main(["render", shard, "--sample", "2", "--out", str(tmp_path / "x.png")]) == 2
    assert "sample 2 does not exist" in capsys.readouterr().err
    assert main(["render", shard, "--out", str(tmp_path / "x.gif2")]) == 2
    assert "--out" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
    with pytest.raises(SystemExit) as caught:
        main(["render", shard])  # --out is required
    assert caught.value.code == 2
