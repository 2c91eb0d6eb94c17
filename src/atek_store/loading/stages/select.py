"""Keep only the mapped keys of each sample, renamed (``dict_key_mapping``), plus ``__key__``, ``__url__``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from atek_store.loading.stages.base import Chained, Stage

__all__ = ["SelectKeys"]


class SelectKeys(Chained[dict[str, Any], dict[str, Any]]):
    """Rename ``old -> new`` for the keys a sample has; drop the rest."""

    def __init__(self, source: Stage[dict[str, Any]], mapping: Mapping[str, str]) -> None:
        self.source = source
        self.pairs = tuple(mapping.items())

    def __next__(self) -> dict[str, Any]:
        sample = next(self.source)
        out = {"__key__": sample["__key__"], "__url__": sample["__url__"]}
        for old, new in self.pairs:
            if old in sample:
                out[new] = sample[old]
        return out
