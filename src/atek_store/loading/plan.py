"""A pass's plan: its topology, where it starts, and what earlier topologies already took.

Decided once per pass, before the readers start (in the main process under
:class:`~atek_store.loading.dataloader.AtekDataLoader`, where ``torch.distributed`` is known), then
read by every reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from atek_store.errors import LoaderError
from atek_store.loading.config import DatasetConfig
from atek_store.loading.ledger import Layer
from atek_store.loading.partition import Partitioning, Topology, warn_if_idle_readers
from atek_store.loading.stages.base import StageState
from atek_store.loading.state import LoaderState, ReadersState

__all__ = ["PassPlan", "plan_pass"]


@dataclass(frozen=True)
class PassPlan:
    """What one pass reads.

    Attributes:
        epoch: the first epoch the pass reads.
        topology: this rank, the world size, and readers per rank.
        partitioning: our split, or a user's nodesplitter.
        prior: per open epoch, what earlier topologies took.
        starts: per worker stream of this rank, the state to restore (a resume on the same
            topology), or None to start each reader afresh.
        rotation: the stream DataLoader worker 0 plays, so that a resumed pass hands out items in
            the order the interrupted one would have.
    """

    epoch: int
    topology: Topology
    partitioning: Partitioning = Partitioning.ROUND_ROBIN
    prior: Mapping[int, tuple[Layer, ...]] = field(default_factory=dict)
    starts: tuple[StageState | None, ...] | None = None
    rotation: int = 0

    def stream_of(self, worker: int) -> int:
        """The reader stream DataLoader worker ``worker`` plays."""
        return (worker + self.rotation) % self.topology.workers

    def start_of(self, stream: int) -> StageState | None:
        """The state reader ``stream`` restores, if any."""
        return None if self.starts is None else self.starts[stream]


def _same_topology(readers: ReadersState, topology: Topology, partitioning: Partitioning) -> bool:
    return (
        readers.world_size == topology.world_size
        and readers.workers == topology.workers
        and readers.partition == partitioning
        and (partitioning is not Partitioning.NODESPLITTER or readers.rank == topology.rank)
    )


def plan_pass(
    config: DatasetConfig, *, epoch: int, resume: LoaderState | None, topology: Topology, warn: bool = True
) -> PassPlan:
    """Plan the next pass on ``topology``: from the start of ``epoch``, or continuing ``resume``.

    A state that knows only some ranks' readers (taken without ``torch.distributed``) has the
    others inferred (:mod:`atek_store.loading.lockstep`). ``warn`` warns when some readers get no
    shard (once per pass: not in each worker of a plain DataLoader).

    Raises:
        LoaderError: the state cannot resume on this topology (a nodesplitter's state on another
            one).
    """
    partitioning = Partitioning.ROUND_ROBIN if config.nodesplitter is None else Partitioning.NODESPLITTER
    if resume is None:
        if warn and config.mixture is None:
            warn_if_idle_readers(
                config.sources[0],
                world_size=topology.world_size,
                workers=topology.workers,
                nodesplitter=config.nodesplitter,
            )
        return PassPlan(epoch, topology, partitioning)
    readers = resume.readers
    if readers is None:
        return PassPlan(resume.epoch, topology, partitioning, prior=resume.epochs)
    same = _same_topology(readers, topology, partitioning)
    if (
        not readers.covers_all()
        and partitioning is Partitioning.ROUND_ROBIN
        and not (same and readers.observed[topology.rank])
    ):
        # Imported here: inferring replays readers, which needs the reader module (that imports this one).
        from atek_store.loading.lockstep import infer_unobserved

        resume = infer_unobserved(config, resume)
        readers = resume.readers or readers  # inference keeps the readers, filled in
    if same and readers.observed[topology.rank]:
        if partitioning is Partitioning.NODESPLITTER:
            starts = readers.states
        else:
            starts = tuple(readers.states[topology.reader(stream)] for stream in range(topology.workers))
        return PassPlan(
            resume.epoch, topology, partitioning, resume.epochs, starts, readers.rotation[topology.rank]
        )
    if partitioning is Partitioning.NODESPLITTER:
        raise LoaderError(
            f"cannot resume: the state was taken with a nodesplitter on rank {readers.rank} of "
            f"{readers.world_size} with {readers.workers} reader(s) per rank (DataLoader workers, 1 for "
            f"none); this pass is rank {topology.rank} of {topology.world_size} with {topology.workers}. "
            "A nodesplitter's split is only known on its own topology: resume with the same world size "
            "and num_workers, and give each rank its own state"
        )
    prior = resume.layers(repeat_done=config.mixture is None)
    return PassPlan(resume.epoch, topology, partitioning, prior)
