"""Group items into batches with a collation function; the last batch may be partial (as in the original)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from atek_store.loading.stages.base import Chained, Stage

__all__ = ["Batch", "Collate"]

Collate = Callable[[list[Any]], Any]


class Batch(Chained[Any, Any]):
    """``size`` items at a time through ``collate`` (yielded whole, so the state is the source's)."""

    def __init__(self, source: Stage[Any], size: int, collate: Collate) -> None:
        self.source = source
        self.size = size
        self.collate = collate

    def __next__(self) -> Any:
        batch = []
        for item in self.source:
            batch.append(item)
            if len(batch) == self.size:
                break
        if not batch:
            raise StopIteration
        return self.collate(batch)
