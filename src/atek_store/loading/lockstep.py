"""Resuming every rank from one rank's state without ``torch.distributed``: the other ranks inferred.

A job launched with ``RANK``/``WORLD_SIZE`` but no process group cannot gather its ranks' states,
so each rank's ``state_dict()`` knows its own readers only. Training runs the ranks in lockstep
(every rank takes the same number of steps), so the reader with the same worker stream on every
rank has taken the same number of samples. From that, the other ranks' positions follow: their
readers are replayed over the raw samples (read, never decoded) up to that count.

This is exact when the ranks really are in lockstep with the same batch size, no sample was
skipped as bad and ``data_transform_fn`` gives one output per sample (or none); where that does not
hold, initialise ``torch.distributed`` (``state_dict()`` then gathers every rank) or combine every
rank's state with :func:`~atek_store.loading.state.merge_loader_states`. Replaying costs reading
(not decoding) what the other ranks read so far in the epoch, once per resumed rank.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import replace

from atek_store.errors import LoaderError
from atek_store.loading.config import DatasetConfig
from atek_store.loading.partition import Partitioning, Topology
from atek_store.loading.plan import PassPlan
from atek_store.loading.reader import build_reader
from atek_store.loading.stages.base import StageState, innermost
from atek_store.loading.state import LoaderState, reader_epoch
from atek_store.sources import ShardOpener

__all__ = ["infer_unobserved"]

logger = logging.getLogger(__name__)


def _taken(state: StageState | None) -> int:
    """Samples a reader took in its current epoch."""
    if state is None:
        return 0
    return sum(int(lane["position"][3]) for lane in innermost(state["chain"])["lanes"])


def _replay(config: DatasetConfig, plan: PassPlan, stream: int, epoch: int, taken: int) -> StageState:
    """The state of one reader after ``taken`` raw samples of ``epoch`` (from the start of its layer)."""
    opener = ShardOpener(
        cache=None, http_options=config.options.http_options, limits=config.options.read_limits
    )
    reader = build_reader(config, replace(plan, epoch=epoch), stream, opener)
    try:
        for _ in itertools.islice(reader.chain.source, taken):
            pass
        # The whole reader's state (every stage's, over the source that moved): a rank resuming on
        # the same topology restores its reader from it, stage by stage.
        return reader.get_state()
    finally:
        reader.close()
        opener.close()


def infer_unobserved(config: DatasetConfig, state: LoaderState) -> LoaderState:
    """``state`` with the readers of the ranks it does not know replayed from a rank it knows.

    Raises:
        LoaderError: the state knows no rank at all, or its readers are in different epochs.
    """
    readers = state.readers
    if readers is None or readers.covers_all():
        return state
    known = [rank for rank, seen in enumerate(readers.observed) if seen]
    if not known or readers.partition is not Partitioning.ROUND_ROBIN:
        raise LoaderError("this state knows no rank's readers: resume from a state taken during a pass")
    model = known[0]
    states = list(readers.states)
    rotation = list(readers.rotation)
    topology = Topology(model, readers.world_size, readers.workers)
    for rank in range(readers.world_size):
        if readers.observed[rank]:
            continue
        rotation[rank] = readers.rotation[model]
        plan = PassPlan(state.epoch, Topology(rank, readers.world_size, readers.workers), prior=state.epochs)
        for stream in range(readers.workers):
            reference = states[topology.reader(stream)]
            epoch = reader_epoch(reference, state.epoch)
            if epoch != state.epoch:
                raise LoaderError(
                    f"rank {model}'s readers are past epoch {state.epoch}: the other ranks' positions cannot "
                    "be inferred; initialise torch.distributed, or merge every rank's state"
                )
            replayed = (
                _replay(config, plan, stream, epoch, _taken(reference)) if reference is not None else None
            )
            states[stream * readers.world_size + rank] = replayed
    logger.info(
        "inferred the readers of %d rank(s) from rank %d's progress (ranks in lockstep)",
        readers.world_size - len(known),
        model,
    )
    inferred = replace(
        readers, observed=(True,) * readers.world_size, rotation=tuple(rotation), states=tuple(states)
    )
    return replace(state, readers=inferred)
