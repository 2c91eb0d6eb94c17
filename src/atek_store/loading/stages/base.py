"""The contract every loading stage keeps: ``reset(state)``, ``next``, ``get_state()``.

A stage is an iterator over its source stage's items (the first stage reads shards). After
``reset(None)`` it starts from the beginning; after ``reset(state)`` with a state its
``get_state()`` returned, it yields exactly what it would have yielded after that point. States
are plain JSON values that nest: a stage keeps its source's state under ``"source"``, so the state
of the last stage is the state of the whole reader.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

__all__ = ["Chained", "Stage", "StageState", "innermost"]

T = TypeVar("T")
S = TypeVar("S")

StageState = dict[str, Any]


class Stage(Iterator[T], ABC):
    """A restartable iterator; call :meth:`reset` before the first ``next``."""

    @abstractmethod
    def reset(self, state: Mapping[str, Any] | None = None) -> None:
        """Start over (``None``) or continue from a state :meth:`get_state` returned."""

    @abstractmethod
    def __next__(self) -> T:
        """The next item; ``StopIteration`` at the end."""

    @abstractmethod
    def get_state(self) -> StageState:
        """Where the stage is now: resetting to this state continues with the next item."""

    def close(self) -> None:  # noqa: B027 - most stages hold nothing to release
        """Release what the stage holds (open shards, generators); stages close their source."""

    def __iter__(self) -> Iterator[T]:
        return self


class Chained(Stage[T], Generic[S, T]):
    """A stage over a source stage whose own state is nothing but its source's (a map, a batcher).

    Subclasses set ``self.source`` and implement ``__next__``; those that keep more extend the
    three methods.
    """

    source: Stage[S]

    def reset(self, state: Mapping[str, Any] | None = None) -> None:
        """Reset the source."""
        self.source.reset(None if state is None else state["source"])

    def close(self) -> None:
        """Close the source."""
        self.source.close()

    def get_state(self) -> StageState:
        """The source's state."""
        return {"source": self.source.get_state()}


def innermost(state: Mapping[str, Any]) -> Mapping[str, Any]:
    """The state of the first stage of a chain (the one that reads shards)."""
    while "source" in state:
        state = state["source"]
    return state
