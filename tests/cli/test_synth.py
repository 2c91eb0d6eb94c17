"""``atek-store synth`` writes a store folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from atek_store.cli import main
from atek_store.format import iter_shard


def test_synth_writes_sequences_of_shards(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "synth",
            "--config",
            "cubercnn",
            "--sequences",
            "2",
            "--samples-per-sequence",
            "3",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    assert "2 sequences" in capsys.readouterr().out
    shards = sorted(tmp_path.glob("*/shards-*.tar"))
    assert {p.parent.name for p in shards} == {"synthetic_seq_000", "synthetic_seq_001"}
    assert sum(1 for p in shards for _ in iter_shard(p)) == 6


def test_synth_rejects_bad_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", "--config", "efm", "--sequences", "0", "--out", str(tmp_path)]) == 2
    assert "sequences" in capsys.readouterr().err
