"""Keep only the mapped keys of each sample, renamed (``dict_key_mapping``), plus ``__key__``, ``__url__``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from atek_store.loading.stages.base import Stage, StageState

__all__ = ["SelectKeys"]


class SelectKeys(Stage[dict[str, Any]]):
    """Rename ``old -> new`` for the keys a sample has; drop the rest."""

    def __init__(self, source: Stage[dict[str, Any]], mapping: Mapping[str, str]) -> None:
        self.source = source
        self.pairs = tuple(mapping.items())

    def reset(self, state: Mapping[str, Any] | None = None) -> None:
        """Reset the source."""
        self.source.reset(None if state is None else state["source"])

    def close(self) -> None:
        """Close the source."""
        self.source.close()

    def get_state(self) -> StageState:
        """The source's state."""
        return {"source": self.source.get_state()}

    def __next__(self) -> dict[str, Any]:
        sample = next(self.source)
        out = {"__key__": sample["__key__"], "__url__": sample["__url__"]}
        for old, new in self.pairs:
            if old in sample:
                out[new] = sample[old]
        return out
