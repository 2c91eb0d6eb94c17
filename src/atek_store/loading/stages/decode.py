"""Raw samples -> decoded sample dicts, with ``__url__`` (and ``__local_path__`` for local shards).

They are placed as the original loader places them (the shard origin's keys, built once per shard).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from atek_store.errors import FormatError
from atek_store.format.limits import ReadLimits
from atek_store.format.shard import decode_source_sample
from atek_store.loading.handler import ErrorPolicy
from atek_store.loading.stages.base import Chained, Stage, StageState
from atek_store.sources import SourceSample

__all__ = ["Decode"]


class Decode(Chained[SourceSample, dict[str, Any]]):
    """Decode each raw sample; a bad one is raised, or skipped and counted, as the policy says.

    Args:
        source: the raw samples.
        policy: what to do with a sample that does not decode.
        wanted: the sample keys to decode (None: all).
        channels_last: decode image stacks with ``channels_last`` strides.
        limits: ceilings on what the members may declare.
    """

    def __init__(
        self,
        source: Stage[SourceSample],
        *,
        policy: ErrorPolicy,
        wanted: frozenset[str] | None,
        channels_last: bool,
        limits: ReadLimits,
    ) -> None:
        self.source = source
        self.policy = policy
        self.wanted = wanted
        self.channels_last = channels_last
        self.limits = limits
        self.skipped = 0
        self.stopped = False

    def reset(self, state: Mapping[str, Any] | None = None) -> None:
        """Reset the source; restore the count of skipped samples."""
        super().reset(state)
        self.skipped = 0 if state is None else int(state["skipped"])
        self.stopped = False

    def get_state(self) -> StageState:
        """The source's state and the samples skipped."""
        return {**super().get_state(), "skipped": self.skipped}

    def __next__(self) -> dict[str, Any]:
        while True:
            item = next(self.source)
            try:
                sample = decode_source_sample(
                    item, wanted=self.wanted, channels_last=self.channels_last, limits=self.limits
                )
            except FormatError as error:
                if not self.policy.skip(error, what="sample"):
                    self.stopped = True
                    raise StopIteration from None
                self.skipped += 1
                continue
            return sample
