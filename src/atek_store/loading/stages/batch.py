"""Group items into batches with a collation function; the last batch may be partial (as in the original)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from atek_store.loading.stages.base import Stage, StageState

__all__ = ["Batch", "Collate"]

Collate = Callable[[list[Any]], Any]


class Batch(Stage[Any]):
    """``size`` items at a time through ``collate``."""

    def __init__(self, source: Stage[Any], size: int, collate: Collate) -> None:
        self.source = source
        self.size = size
        self.collate = collate

    def reset(self, state: Mapping[str, Any] | None = None) -> None:
        """Reset the source (a batch is only yielded whole, so there is nothing else to keep)."""
        self.source.reset(None if state is None else state["source"])

    def close(self) -> None:
        """Close the source."""
        self.source.close()

    def get_state(self) -> StageState:
        """The source's state."""
        return {"source": self.source.get_state()}

    def __next__(self) -> Any:
        batch = []
        for item in self.source:
            batch.append(item)
            if len(batch) == self.size:
                break
        if not batch:
            raise StopIteration
        return self.collate(batch)
