"""``atek_store.http`` declares its API once, sorted; it and ``download/`` never import torch or numpy."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import atek_store.http

SRC = Path(atek_store.http.__file__).resolve().parents[1]


def test_all_is_sorted_unique_and_every_name_exists() -> None:
    names = list(atek_store.http.__all__)
    assert names == sorted(names)
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(atek_store.http, name), name


@pytest.mark.parametrize("package", ["http", "download"])
def test_the_download_path_does_not_import_torch_or_numpy(package: str) -> None:
    for module in sorted((SRC / package).glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(), filename=str(module))):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert not roots & {"torch", "numpy"}, f"{module.name} imports {roots}"
