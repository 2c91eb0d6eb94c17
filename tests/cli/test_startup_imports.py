"""The everyday commands never import torch: each runs as a real process against a served store.

The commands and the store come from ``startup_commands.py`` (``benchmarks/startup.py`` times the
same ones); a probe records ``sys.modules`` when the process exits.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from atek_store.cli import build_parser
from tests.cli.startup_commands import (
    TORCH_FREE,
    StartupStore,
    commands,
    quiet_environment,
    run_probed,
    served_store,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartupStore]:
    with served_store(tmp_path_factory.mktemp("startup")) as served:
        yield served


def test_everyday_commands_never_import_torch(store: StartupStore, tmp_path: Path) -> None:
    env = quiet_environment()
    checked = [command for command in commands(store, tmp_path) if command.name in TORCH_FREE]
    assert [command.name for command in checked] == list(TORCH_FREE)
    for command in checked:
        finished = run_probed(command, env=env, probe_out=tmp_path / "modules.txt")
        assert finished.returncode == 0, f"{command.name}: {finished.stderr}"
        assert finished.modules, f"{command.name}: the probe recorded nothing"
        assert "atek_store.cli" in finished.modules
        assert "torch" not in finished.modules, f"{command.name} imported {finished.heavy_modules()}"
    assert sorted(p.name for p in (tmp_path / "local").glob("*/shards-*.tar"))  # it really downloaded


def test_every_subcommand_help_still_shows_its_flags_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    for name in ("download", "synth", "publish", "serve", "verify", "list"):
        with pytest.raises(SystemExit):
            parser.parse_args([name, "--help"])
        shown = capsys.readouterr().out
        assert f"usage: atek-store {name}" in shown
        assert "--" in shown
    with pytest.raises(SystemExit):
        parser.parse_args(["synth", "--help"])
    assert "sample layout: cubercnn, efm" in capsys.readouterr().out
