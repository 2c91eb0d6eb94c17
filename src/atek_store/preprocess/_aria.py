"""Lazy access to ``projectaria_tools`` (the preprocess extra), the one place that imports it.

``import atek_store`` must work without projectaria-tools, so the preprocessing modules call
these functions when they need the library instead of importing it at module level.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from atek_store.errors import PreprocessError, RawDataError

__all__ = [
    "adt",
    "calibration",
    "data_provider",
    "mps",
    "open_vrs",
    "sensor_data",
    "stream_id",
    "time_domain",
]


def _load(name: str) -> ModuleType:
    try:
        return importlib.import_module(f"projectaria_tools.{name}")
    except ImportError as error:
        raise PreprocessError(
            "preprocessing needs projectaria-tools, which is not installed: "
            "pip install 'atek-store[preprocess]'"
        ) from error


def calibration() -> ModuleType:
    """``projectaria_tools.core.calibration``."""
    return _load("core.calibration")


def data_provider() -> ModuleType:
    """``projectaria_tools.core.data_provider``."""
    return _load("core.data_provider")


def mps() -> ModuleType:
    """``projectaria_tools.core.mps``."""
    return _load("core.mps")


def adt() -> ModuleType:
    """``projectaria_tools.projects.adt``."""
    return _load("projects.adt")


def sensor_data() -> ModuleType:
    """``projectaria_tools.core.sensor_data``."""
    return _load("core.sensor_data")


def stream_id(value: str) -> Any:
    """A projectaria ``StreamId`` from its ``"<type>-<instance>"`` text."""
    return _load("core.stream_id").StreamId(value)


def time_domain(name: str) -> Any:
    """The ``TimeDomain`` member called ``name`` (validated by the config already)."""
    return getattr(sensor_data().TimeDomain, name)


def open_vrs(path: str) -> Any:
    """A projectaria VRS data provider for ``path``, or a :class:`RawDataError` if it cannot open."""
    provider = data_provider().create_vrs_data_provider(path)
    if provider is None:
        raise RawDataError(f"projectaria-tools cannot open the VRS file {path}", path=path)
    return provider
