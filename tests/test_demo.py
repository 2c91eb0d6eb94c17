"""The README's demo runs the whole user journey against a real local store."""

from __future__ import annotations

from pathlib import Path

from atek_store.demo import run_demo
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
