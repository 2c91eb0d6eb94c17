"""The loader's resume state: its format (version 2), and how it is assembled from the readers' states.

A state is plain JSON values (it goes into any checkpoint)::

    {
      "format": "atek-store/loader-state/2",
      "fingerprint": {...},           # shard lists, seed, shuffle, window, mixture: must match to resume
      "epoch": 3,                     # the oldest epoch not finished
      "epochs": {"3": [layer, ...]},  # what earlier topologies took of each open epoch (see ledger.py)
      "readers": {                    # the latest topology's readers, null before any pass
        "world_size": 2, "workers": 2, "partition": "round-robin", "rank": null,
        "observed": [true, true],     # per rank: are its readers' states below known?
        "rotation": [1, 0],           # per rank: which worker stream the next item comes from
        "states": [{...}, ...]        # per reader (stream * world_size + rank): its stages' state
      }
    }

Resuming on the same topology restores every reader from its own state (exactly the order the
interrupted run would have had). Resuming on another one turns the readers' states into one more
layer per open epoch, and the new readers split what no layer covers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from atek_store.errors import LoaderError
from atek_store.loading.ledger import LanePosition, Layer, ReaderProgress, layer_map
from atek_store.loading.partition import Partitioning
from atek_store.loading.stages.base import StageState, innermost

__all__ = [
    "STATE_FORMAT",
    "LoaderState",
    "ReadersState",
    "merge_loader_states",
    "reader_epoch",
]

STATE_FORMAT = "atek-store/loader-state/2"


def reader_epoch(state: StageState | None, first: int) -> int:
    """The epoch a reader is in (``first`` for one that has not started)."""
    return first if state is None else int(state["epoch"])


def progress_in(
    state: StageState | None, epoch: int, *, first: int, repeat_done: bool
) -> ReaderProgress | None:
    """What one reader took of ``epoch``, from its stages' state.

    Args:
        state: the reader's state (None: it took nothing).
        epoch: the epoch asked about.
        first: the epoch the pass started with.
        repeat_done: whether a reader that went past ``epoch`` without keeping its progress there
            has taken all of its part (true for a plain list; a mixture keeps the epoch before).

    Raises:
        LoaderError: a mixture's reader is more than one epoch past ``epoch``.
    """
    current = reader_epoch(state, first)
    if state is None or current < epoch:
        return None
    if current == epoch:
        return _progress_of(innermost(state["chain"]))
    previous = state.get("previous")
    if previous is not None and int(previous["epoch"]) == epoch:
        return ReaderProgress(tuple(LanePosition.from_json(lane) for lane in previous["progress"]))
    if repeat_done:
        lanes = len(innermost(state["chain"])["lanes"])
        return ReaderProgress(tuple(LanePosition(round=1) for _ in range(lanes)))
    raise LoaderError(
        f"a reader is in epoch {current}, more than one epoch past epoch {epoch} that others are still "
        "reading: its progress there is not kept, so this state cannot resume on another topology"
    )


def _progress_of(source: Mapping[str, Any]) -> ReaderProgress:
    return ReaderProgress(tuple(LanePosition.from_json(lane["position"]) for lane in source["lanes"]))


@dataclass(frozen=True)
class ReadersState:
    """The readers of the latest topology and their stages' states."""

    world_size: int
    workers: int
    partition: Partitioning
    observed: tuple[bool, ...]
    rotation: tuple[int, ...]
    states: tuple[StageState | None, ...]
    rank: int | None = None  # whose readers these are, for a nodesplitter (its split is rank-local)

    @property
    def readers(self) -> int:
        """Readers in the topology."""
        return self.world_size * self.workers

    def to_json(self) -> dict[str, Any]:
        """Plain values for a state dict."""
        return {
            "world_size": self.world_size,
            "workers": self.workers,
            "partition": self.partition.value,
            "rank": self.rank,
            "observed": list(self.observed),
            "rotation": list(self.rotation),
            "states": list(self.states),
        }

    @classmethod
    def from_json(cls, data: Any) -> ReadersState:
        """Parse :meth:`to_json` output.

        Raises:
            LoaderError: the value is malformed.
        """
        try:
            readers = cls(
                world_size=int(data["world_size"]),
                workers=int(data["workers"]),
                partition=Partitioning(data["partition"]),
                observed=tuple(bool(flag) for flag in data["observed"]),
                rotation=tuple(int(stream) for stream in data["rotation"]),
                states=tuple(None if item is None else dict(item) for item in data["states"]),
                rank=None if data.get("rank") is None else int(data["rank"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise LoaderError(f"malformed readers in a loader state: {error}") from None
        slots = readers.workers if readers.partition is Partitioning.NODESPLITTER else readers.readers
        if (
            readers.world_size < 1
            or readers.workers < 1
            or len(readers.observed) != readers.world_size
            or len(readers.rotation) != readers.world_size
            or len(readers.states) != slots
        ):
            # Counts, not the value: it holds every reader's state (large for a big job).
            raise LoaderError(
                f"malformed readers in a loader state: world_size {readers.world_size} and workers "
                f"{readers.workers} ({readers.partition.value}) need {readers.world_size} observed flags and "
                f"rotations and {slots} reader states, got {len(readers.observed)}, "
                f"{len(readers.rotation)} and {len(readers.states)}"
            )
        return readers

    def covers_all(self) -> bool:
        """Whether every rank's readers are known (so another topology can take over)."""
        return all(self.observed)


@dataclass(frozen=True)
class LoaderState:
    """A whole resume state; see the module docstring for its JSON form."""

    fingerprint: Mapping[str, Any]
    epoch: int
    epochs: Mapping[int, tuple[Layer, ...]] = field(default_factory=dict)
    readers: ReadersState | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain values (JSON-serialisable)."""
        return {
            "format": STATE_FORMAT,
            "fingerprint": dict(self.fingerprint),
            "epoch": self.epoch,
            "epochs": {
                str(epoch): [layer.to_json() for layer in layers] for epoch, layers in self.epochs.items()
            },
            "readers": None if self.readers is None else self.readers.to_json(),
        }

    @classmethod
    def from_dict(cls, data: Any, *, sources: int) -> LoaderState:
        """Parse :meth:`to_dict` output.

        Raises:
            LoaderError: not a state of this version, or malformed.
        """
        if not isinstance(data, Mapping) or data.get("format") != STATE_FORMAT:
            found = data.get("format") if isinstance(data, Mapping) else type(data).__name__
            raise LoaderError(
                f"not a loader state of this version (expected format {STATE_FORMAT!r}, got {found!r}); "
                "states of earlier versions cannot be resumed: start the epoch over"
            )
        try:
            epoch = int(data["epoch"])
            fingerprint = dict(data["fingerprint"])
            epochs = layer_map(data.get("epochs") or {}, sources=sources)
        except (KeyError, TypeError, ValueError) as error:
            raise LoaderError(f"malformed loader state: {error}") from None
        readers = None if data.get("readers") is None else ReadersState.from_json(data["readers"])
        return cls(fingerprint, epoch, epochs, readers)

    def open_epochs(self) -> range:
        """The epochs some reader may still take samples of."""
        last = self.epoch
        if self.readers is not None:
            last = max([last, *(reader_epoch(s, self.epoch) for s in self.readers.states)])
        last = max([last, *self.epochs])
        return range(self.epoch, last + 1)

    def layers(self, *, repeat_done: bool) -> dict[int, tuple[Layer, ...]]:
        """Every open epoch's layers, the readers' own included (for a resume on another topology).

        Raises:
            LoaderError: some ranks' readers are unknown, or the readers used a nodesplitter.
        """
        readers = self.readers
        if readers is None:
            return dict(self.epochs)
        if readers.partition is not Partitioning.ROUND_ROBIN:
            raise LoaderError(
                "this state was taken with a nodesplitter, whose split only its own rank knows: resume "
                "with the same world size and num_workers"
            )
        if not readers.covers_all():
            known = [rank for rank, seen in enumerate(readers.observed) if seen]
            raise LoaderError(
                f"this state only knows the readers of rank(s) {known} of {readers.world_size}: to resume "
                "on another world size or num_workers, initialise torch.distributed before state_dict() "
                "(it then gathers every rank), or combine the states of all ranks with merge_loader_states"
            )
        result: dict[int, tuple[Layer, ...]] = {}
        for epoch in self.open_epochs():
            entries = tuple(
                progress_in(state, epoch, first=self.epoch, repeat_done=repeat_done)
                for state in readers.states
            )
            result[epoch] = (*self.epochs.get(epoch, ()), Layer(readers.readers, entries))
        return result


def merge_loader_states(states: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Combine the states that the ranks of one job saved (without ``torch.distributed``) into one.

    Each rank's ``state_dict()`` knows its own readers; their union resumes every rank, on any
    topology.

    Raises:
        LoaderError: the states are not of one job at one moment of one pass.
    """
    if not states:
        raise LoaderError("merge_loader_states needs at least one state")
    parsed = [LoaderState.from_dict(state, sources=_source_count(state)) for state in states]
    first = parsed[0]
    merged = first.readers
    epochs = dict(first.epochs)
    for other in parsed[1:]:
        if other.fingerprint != first.fingerprint:
            raise LoaderError("cannot merge loader states of different datasets")
        epochs.update(other.epochs)  # every rank holds the same earlier layers, of its own open epochs
        if other.readers is not None:
            merged = other.readers if merged is None else _merge_readers(merged, other.readers)
    # Each rank only knew its own readers' epochs: the job's oldest open epoch is the least of them.
    oldest = min(state.epoch for state in parsed)
    return LoaderState(
        first.fingerprint,
        oldest,
        {epoch: layers for epoch, layers in epochs.items() if epoch >= oldest},
        merged,
    ).to_dict()


def _source_count(state: Any) -> int:
    """How many sources a state's fingerprint names (0 when it names none: parsing then refuses it)."""
    fingerprint = state.get("fingerprint") if isinstance(state, Mapping) else None
    sources = fingerprint.get("sources") if isinstance(fingerprint, Mapping) else None
    return len(sources) if isinstance(sources, list) else 0


def _merge_readers(mine: ReadersState, theirs: ReadersState) -> ReadersState:
    if (mine.world_size, mine.workers, mine.partition) != (
        theirs.world_size,
        theirs.workers,
        theirs.partition,
    ):
        raise LoaderError("cannot merge loader states taken on different topologies")
    if mine.partition is not Partitioning.ROUND_ROBIN:
        raise LoaderError("states taken with a nodesplitter cannot be merged: each rank resumes from its own")
    observed = list(mine.observed)
    rotation = list(mine.rotation)
    states = list(mine.states)
    for rank in range(theirs.world_size):
        if not theirs.observed[rank]:
            continue
        observed[rank] = True
        rotation[rank] = theirs.rotation[rank]
        for stream in range(theirs.workers):
            reader = stream * theirs.world_size + rank
            states[reader] = theirs.states[reader]
    return replace(mine, observed=tuple(observed), rotation=tuple(rotation), states=tuple(states))
