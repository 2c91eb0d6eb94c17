"""Keep only the mapped keys of each sample, renamed (``dict_key_mapping``), plus ``__key__``, ``__url__``.

With the original's precedence when two keys map to one name (see :mod:`atek_store.loading.keymap`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from atek_store.loading.keymap import remap_keys
from atek_store.loading.stages.base import Chained, Stage

__all__ = ["SelectKeys"]


class SelectKeys(Chained[dict[str, Any], dict[str, Any]]):
    """Rename ``old -> new`` for the keys a sample has; drop the rest."""

    def __init__(self, source: Stage[dict[str, Any]], mapping: Mapping[str, str]) -> None:
        self.source = source
        self.mapping = dict(mapping)

    def __next__(self) -> dict[str, Any]:
        return remap_keys(next(self.source), self.mapping)
