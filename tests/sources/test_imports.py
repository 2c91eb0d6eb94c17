"""The shard source and the tar reader import nothing heavy at module level (no torch, numpy, JPEG codec).

``publish --check tar`` and the server read tars through these modules; the package ``__init__``
files are made lazy elsewhere, so this checks the modules' own top-level imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "atek_store"
LIGHT = [
    *sorted((SRC / "sources").glob("*.py")),
    SRC / "format" / "tario.py",
    SRC / "format" / "limits.py",
    SRC / "format" / "keys.py",
    SRC / "store" / "shardcheck.py",
]
HEAVY = ("torch", "numpy", "simplejpeg", "PIL", "atek_store.format.decode", "atek_store.format.images")


def _top_level_imports(path: Path) -> list[str]:
    names = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", LIGHT, ids=lambda p: str(p.relative_to(SRC)))
def test_module_imports_nothing_heavy_at_top_level(path: Path) -> None:
    heavy = [name for name in _top_level_imports(path) if name.split(".")[0] in HEAVY or name in HEAVY]
    assert heavy == []
