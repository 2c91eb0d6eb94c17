"""Choices of a flag that are known only by importing a heavy module.

Building the parser must stay cheap (``atek-store --help`` imports no subcommand's API), yet
``atek-store synth --help`` should list the synthetic configs, which live beside numpy and torch
code. ``DeferredChoices`` is what argparse's ``choices=`` needs (``in`` and iteration) and loads
the names only when a value is checked or the subcommand's help is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

__all__ = ["DeferredChoices"]


class DeferredChoices:
    """``choices=`` for argparse whose names come from ``load()`` on first use."""

    def __init__(self, load: Callable[[], Sequence[str]]) -> None:
        self._load = load

    def __contains__(self, value: object) -> bool:
        return value in self._load()

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())
