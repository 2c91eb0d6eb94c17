"""Epoch after epoch: one chain of stages per epoch, and, with ``repeat_flag``, the next one after it.

Batches never straddle two epochs (each epoch ends with its own partial batch, as the original's
``repeat()`` after ``batched()`` does). The state keeps the epoch, its chain's state, and the
progress the reader made in the epoch before (which a resume on another topology needs while other
readers are still in that epoch).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from atek_store.loading.stages.base import Stage, StageState
from atek_store.loading.stages.decode import Decode
from atek_store.loading.stages.source import EpochSource

__all__ = ["EpochChain", "Epochs"]


@dataclass(frozen=True)
class EpochChain:
    """The stages of one epoch: the last one (what the reader yields) and the two that count skips."""

    top: Stage[Any]
    source: EpochSource
    decode: Decode

    @property
    def stopped(self) -> bool:
        """Whether the error handler stopped the reader (a callable handler that returned False)."""
        return self.decode.stopped or any(lane.stopped for lane in self.source.lanes)


class Epochs(Stage[Any]):
    """Read ``first``'s chain, then (``repeat``) the next epoch's, forever.

    Args:
        make: builds the chain of one epoch.
        first: the first epoch.
        repeat: go on to the next epoch at the end of one.
        known: the epochs that earlier topologies already read part of (an epoch that gives nothing
            and is not among them means the reader has nothing to read, so repeating stops).
    """

    def __init__(
        self,
        make: Callable[[int], EpochChain],
        *,
        first: int,
        repeat: bool,
        known: frozenset[int] = frozenset(),
    ) -> None:
        self.make = make
        self.first = first
        self.repeat = repeat
        self.known = known
        self.epoch = first
        self.previous: dict[str, Any] | None = None
        self.skipped = [0, 0]  # samples and shards skipped in the finished epochs of this pass
        self.chain = make(first)
        self._restored = False

    def reset(self, state: Mapping[str, Any] | None = None) -> None:
        """Start at the first epoch, or continue in the saved epoch's chain."""
        self.epoch = self.first if state is None else int(state["epoch"])
        self.previous = None if state is None else state.get("previous")
        self.skipped = [0, 0] if state is None else [int(count) for count in state.get("skipped", (0, 0))]
        self.chain.top.close()
        self.chain = self.make(self.epoch)
        self.chain.top.reset(None if state is None else state["chain"])
        self._restored = state is not None

    def close(self) -> None:
        """Close the current epoch's chain."""
        self.chain.top.close()

    def get_state(self) -> StageState:
        """The epoch, its chain's state, the progress of the epoch before, and earlier epochs' skips."""
        return {
            "epoch": self.epoch,
            "chain": self.chain.top.get_state(),
            "previous": self.previous,
            "skipped": list(self.skipped),
        }

    def __next__(self) -> Any:
        while True:
            try:
                return next(self.chain.top)
            except StopIteration:
                if not self._go_on():
                    raise

    def _go_on(self) -> bool:
        if not self.repeat or self.chain.stopped:
            return False
        took = sum(lane.position.taken for lane in self.chain.source.lanes)
        if not took and not self._restored and self.epoch not in self.known:
            return False  # no shard to read in an epoch of our own: every later one is the same
        self.previous = {"epoch": self.epoch, "progress": self.chain.source.progress().to_json()}
        self.skipped = [
            self.skipped[0] + self.chain.decode.skipped,
            self.skipped[1] + self.chain.source.skipped_shards,
        ]
        self.epoch += 1
        self.chain.top.close()
        self.chain = self.make(self.epoch)
        self.chain.top.reset(None)
        self._restored = False
        return True
