"""The user's ``data_transform_fn``: a function from an iterator of samples to an iterator of anything.

The state after an output is the source's state after the last sample the function pulled. That
is exact for functions that yield as soon as they have what an output needs (a map, a filter); a
function that pulls ahead of what it yields, or yields several outputs from one sample, loses
what it held when the reader is restored.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from typing import Any

from atek_store.loading.stages.base import Chained, Stage

__all__ = ["Transform", "TransformFn"]

TransformFn = Callable[[Iterator[dict[str, Any]]], Iterable[Any]]


class Transform(Chained[dict[str, Any], Any]):
    """Run ``fn`` over the source's samples."""

    def __init__(self, source: Stage[dict[str, Any]], fn: TransformFn) -> None:
        self.source = source
        self.fn = fn
        self._out: Iterator[Any] = iter(())

    def reset(self, state: Mapping[str, Any] | None = None) -> None:
        """Reset the source and start the function afresh on it."""
        super().reset(state)
        self._out = iter(self.fn(iter(self.source)))

    def close(self) -> None:
        """Close the function's generator (if it is one), then the source."""
        if isinstance(self._out, Generator):  # other iterators have nothing to close
            self._out.close()
        super().close()

    def __next__(self) -> Any:
        return next(self._out)
