"""The public API is declared once, sorted, and is exactly what each package and module exposes.

The packages resolve their names lazily (``atek_store._lazy``); their ``TYPE_CHECKING`` block is
what mypy and IDEs see, so it must name the same objects as the runtime look-up.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import types
from pathlib import Path

import pytest

import atek_store
import atek_store.errors

LAZY_PACKAGES = ("atek_store",) + tuple(
    f"atek_store.{info.name}"
    for info in pkgutil.iter_modules(atek_store.__path__)
    if info.ispkg and info.name != "cli"
)
# Plain modules whose __all__ is the public API: every public class or function defined there.
PLAIN_MODULES = ("atek_store.cli", "atek_store.errors")


def _public_values(module: types.ModuleType) -> dict[str, object]:
    return {
        name: value
        for name, value in vars(module).items()
        if (not name.startswith("_") or name == "__version__") and not inspect.ismodule(value)
    }


def _type_checking_imports(module: types.ModuleType) -> dict[str, tuple[str, str]]:
    """Public name -> (module, attribute) for each import in the ``if typing.TYPE_CHECKING:`` block."""
    tree = ast.parse(Path(str(module.__file__)).read_text())
    blocks = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("typing.TYPE_CHECKING", "TYPE_CHECKING")
    ]
    assert len(blocks) == 1, f"{module.__name__} needs one TYPE_CHECKING block naming its public API"
    imports: dict[str, tuple[str, str]] = {}
    for node in blocks[0].body:
        assert isinstance(node, ast.ImportFrom), ast.unparse(node)
        assert node.module is not None
        for alias in node.names:
            imports[alias.asname or alias.name] = (node.module, alias.name)
    return imports


@pytest.mark.parametrize("name", LAZY_PACKAGES + PLAIN_MODULES)
def test_all_is_sorted_and_unique(name: str) -> None:
    names = list(importlib.import_module(name).__all__)
    assert names == sorted(names)
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name", LAZY_PACKAGES + PLAIN_MODULES)
def test_every_exported_name_exists(name: str) -> None:
    module = importlib.import_module(name)
    for exported in module.__all__:
        assert hasattr(module, exported), f"{name}.{exported}"


@pytest.mark.parametrize("name", LAZY_PACKAGES)
def test_a_package_exposes_exactly_its_all(name: str) -> None:
    package = importlib.import_module(name)
    for exported in package.__all__:
        getattr(package, exported)
    assert set(_public_values(package)) == set(package.__all__)
    assert set(package.__all__) <= set(dir(package))


@pytest.mark.parametrize("name", LAZY_PACKAGES)
def test_the_type_checking_block_names_the_objects_the_package_resolves(name: str) -> None:
    package = importlib.import_module(name)
    imports = _type_checking_imports(package)
    eager = {exported for exported in package.__all__ if exported.startswith("__")}
    assert set(imports) | eager == set(package.__all__)
    for public, (source, attribute) in imports.items():
        assert getattr(package, public) is getattr(importlib.import_module(source), attribute), public


def test_an_unknown_name_is_an_attribute_error() -> None:
    assert not hasattr(atek_store, "no_such_name")
    with pytest.raises(AttributeError, match="'atek_store.download' has no attribute 'no_such_name'"):
        importlib.import_module("atek_store.download").no_such_name  # noqa: B018


@pytest.mark.parametrize("name", PLAIN_MODULES)
def test_a_module_exposes_exactly_its_all(name: str) -> None:
    module = importlib.import_module(name)
    defined = {
        public
        for public, value in _public_values(module).items()
        if getattr(value, "__module__", None) == name
        and (inspect.isclass(value) or inspect.isfunction(value))
    }
    assert defined == set(module.__all__)


def test_every_error_is_one_of_ours_and_drawn_in_the_tree() -> None:
    tree = atek_store.errors.__doc__ or ""
    for name in atek_store.errors.__all__:
        error = getattr(atek_store.errors, name)
        assert issubclass(error, atek_store.errors.AtekStoreError | atek_store.errors.AtekStoreWarning), name
        assert f" {name}" in tree, f"{name} is missing from the tree in the errors docstring"
