"""The README's demo runs end to end and reports what it did."""

from __future__ import annotations

from pathlib import Path

from atek_store.demo import run_demo


def test_demo_builds_reads_and_summarises_a_store(tmp_path: Path) -> None:
    printed: list[str] = []
    report = run_demo(tmp_path, echo=printed.append)
    assert printed == report.lines
    assert any(line.startswith("read   cubercnn") for line in report.lines)
    assert any(line.startswith("read   efm") for line in report.lines)
    assert list((tmp_path / "store" / "cubercnn").glob("*/shards-*.tar"))
