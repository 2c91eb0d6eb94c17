"""Lazy public attributes for package ``__init__`` modules (PEP 562).

``import atek_store`` must not pay for torch, numpy, aiohttp or yaml when the caller only wants
to download or list: a package declares its public names in an explicit table, name -> the
module that defines it, and a name's module is imported the first time the name is looked up.
Each package keeps a ``TYPE_CHECKING`` block importing the same names so that mypy and IDEs see
them; ``tests/test_exported_members.py`` checks that ``__all__``, the table and that block agree.

Usage in a package ``__init__.py``::

    _LAZY = {"plan_download": "atek_store.download.plan", ...}
    if TYPE_CHECKING:
        from atek_store.download.plan import plan_download
    else:
        __getattr__, __dir__ = attach(__name__, _LAZY)

A table value ``"module:attribute"`` publishes ``attribute`` of ``module`` under another name.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["attach", "resolve"]


def resolve(target: str, name: str) -> Any:
    """Import the module of a table entry and return the attribute it names."""
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute or name)


def attach(package: str, table: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose public names are in ``table``."""

    def __getattr__(name: str) -> Any:  # noqa: N807 - the PEP 562 hook's name
        target = table.get(name)
        if target is None:
            # AttributeError (not ImportError) lets ``from package import submodule`` go on to
            # import the submodule, and ``hasattr`` answer False.
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = resolve(target, name)
        # Bind it so that later look-ups are plain attribute reads, not calls into this hook.
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:  # noqa: N807 - the PEP 562 hook's name
        return sorted({*vars(sys.modules[package]), *table})

    return __getattr__, __dir__
