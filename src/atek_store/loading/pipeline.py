"""One reader's chain of stages, from its shards to the items it yields, with its position.

Stages, in the original's order: read shards -> shuffle -> decode -> select/remap keys ->
transform -> batch -> (repeat: the next epoch). The shuffle buffer holds *raw* samples (the
member bytes) and decoding happens when a sample leaves it: decoding is a pure function of the
bytes, so this yields what decode-then-shuffle yields, with a buffer several times smaller
(a 1408x1408 JPEG is 1 MB, the decoded frame 6 MB), and a resumed reader can skip samples
without decoding them.

The position of a reader is ``(epoch, pulled)``: how many samples left the shuffle buffer for
the later stages up to the last item yielded. Replaying the same shards with the same seed and
dropping ``pulled`` samples before decoding puts the reader exactly where it was, as long as the
transform yields as soon as it has what it needs (a transform that reads ahead of what it yields
would lose the samples it held).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from atek_store.errors import FormatError, LoaderError, TransferError
from atek_store.format.decode import decode_sample
from atek_store.format.limits import ReadLimits
from atek_store.http import HttpOptions
from atek_store.loading.handler import ErrorPolicy, SkipCounts
from atek_store.loading.keymap import remap_keys
from atek_store.loading.shards import NodeSplitter, Topology, reader_shards
from atek_store.loading.shuffle import derive_seed, shuffle_buffer
from atek_store.sources import ShardCache, ShardOpener, SourceSample

__all__ = ["END", "PipelineConfig", "ReaderPosition", "iter_reader"]

Transform = Callable[[Iterator[dict[str, Any]]], Iterable[Any]]
Collate = Callable[[list[Any]], Any]


class _End:
    """Marks the end of a reader's items; it comes with the reader's final position."""

    def __repr__(self) -> str:
        return "END"


END = _End()


@dataclass(frozen=True)
class PipelineConfig:
    """Everything that defines what a reader yields (the same in every reader of a dataset)."""

    urls: tuple[str, ...]
    nodesplitter: NodeSplitter | None = None
    dict_key_mapping: Mapping[str, str] | None = None
    data_transform_fn: Transform | None = None
    batch_size: int | None = None
    collation_fn: Collate | None = None
    repeat: bool = False
    shuffle: bool = False
    seed: int = 0
    shuffle_buffer_size: int = 1000
    shuffle_initial: int = 100
    policy: ErrorPolicy = field(default_factory=lambda: ErrorPolicy(None))
    cache_dir: Path | None = None
    cache_max_bytes: int | None = None
    http_options: HttpOptions | None = None
    channels_last: bool = False
    limits: ReadLimits = field(default_factory=ReadLimits)

    @property
    def wanted(self) -> frozenset[str] | None:
        """The sample keys to decode: those of the mapping, or all (None)."""
        return frozenset(self.dict_key_mapping) if self.dict_key_mapping else None


@dataclass(frozen=True)
class ReaderPosition:
    """Where a reader is: ``pulled`` samples of ``epoch`` are behind it; ``done`` once it has finished."""

    epoch: int
    pulled: int = 0
    done: bool = False
    skipped_samples: int = 0
    skipped_shards: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain values, for a state dict."""
        return {
            "epoch": self.epoch,
            "pulled": self.pulled,
            "done": self.done,
            "skipped_samples": self.skipped_samples,
            "skipped_shards": self.skipped_shards,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReaderPosition:
        """Parse :meth:`to_dict` output.

        Raises:
            LoaderError: a field is missing or has the wrong type.
        """
        try:
            position = cls(
                epoch=int(data["epoch"]),
                pulled=int(data["pulled"]),
                done=bool(data["done"]),
                skipped_samples=int(data.get("skipped_samples", 0)),
                skipped_shards=int(data.get("skipped_shards", 0)),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise LoaderError(f"malformed reader position in a loader state: {data!r} ({error})") from None
        if position.pulled < 0:
            raise LoaderError(f"malformed reader position in a loader state: {data!r}")
        return position


@dataclass
class _Run:
    """Mutable bookkeeping of one reader while it runs."""

    counts: SkipCounts
    pulled: int = 0
    stopped: bool = False


def _raw_stage(
    shards: list[str], opener: ShardOpener, policy: ErrorPolicy, run: _Run
) -> Iterator[SourceSample]:
    for url in shards:
        try:
            yield from opener.samples(url)
        except (FormatError, TransferError) as error:
            if not policy.skip(error, what="shard (the rest of it)"):
                run.stopped = True
                return
            run.counts.shards += 1


def _counted(items: Iterator[SourceSample], run: _Run) -> Iterator[SourceSample]:
    for item in items:
        run.pulled += 1
        yield item


def _decode_stage(
    items: Iterator[SourceSample], config: PipelineConfig, run: _Run
) -> Iterator[dict[str, Any]]:
    wanted = config.wanted
    for item in items:
        try:
            sample = decode_sample(
                item.raw.key,
                item.raw.members,
                shard=item.origin.name,
                wanted=wanted,
                channels_last=config.channels_last,
                limits=config.limits,
                origin_keys=item.origin.sample_keys,
            )
        except FormatError as error:
            if not config.policy.skip(error, what="sample"):
                run.stopped = True
                return
            run.counts.samples += 1
            continue
        yield sample


def _select_stage(items: Iterator[dict[str, Any]], mapping: Mapping[str, str]) -> Iterator[dict[str, Any]]:
    for sample in items:
        yield remap_keys(sample, mapping)


def _batch_stage(items: Iterable[Any], size: int, collate: Collate) -> Iterator[Any]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield collate(batch)
            batch = []
    if batch:  # the original keeps the partial last batch
        yield collate(batch)


def _epoch_items(
    config: PipelineConfig, topology: Topology, epoch: int, skip: int, opener: ShardOpener, run: _Run
) -> Iterator[Any]:
    shards = reader_shards(
        config.urls,
        topology,
        seed=config.seed,
        epoch=epoch,
        shuffle=config.shuffle,
        nodesplitter=config.nodesplitter,
    )
    raw: Iterator[SourceSample] = _raw_stage(shards, opener, config.policy, run)
    if config.shuffle:
        rng = random.Random(derive_seed(config.seed, "samples", epoch, topology.rank, topology.stream))
        raw = shuffle_buffer(raw, size=config.shuffle_buffer_size, initial=config.shuffle_initial, rng=rng)
    for _ in islice(raw, skip):  # resuming: replay what was already yielded, without decoding it
        run.pulled += 1
    items: Iterable[Any] = _decode_stage(_counted(raw, run), config, run)
    if config.dict_key_mapping:
        items = _select_stage(iter(items), config.dict_key_mapping)
    if config.data_transform_fn is not None:
        items = config.data_transform_fn(iter(items))
    if config.batch_size:
        items = _batch_stage(items, config.batch_size, config.collation_fn or list)
    yield from items


def iter_reader(
    config: PipelineConfig, topology: Topology, start: ReaderPosition
) -> Iterator[tuple[Any, ReaderPosition]]:
    """Yield ``(item, position after it)`` for one reader, then ``(END, final position)``.

    Args:
        config: the pipeline.
        topology: which reader this is (rank, worker stream).
        start: where to start: ``ReaderPosition(epoch)`` for a fresh epoch, or a saved position.
    """
    run = _Run(SkipCounts(start.skipped_samples, start.skipped_shards))
    epoch = start.epoch
    if start.done:
        yield END, start
        return
    cache = (
        ShardCache(config.cache_dir, max_bytes=config.cache_max_bytes)
        if config.cache_dir is not None and config.cache_max_bytes is not None
        else None
    )
    opener = ShardOpener(cache=cache, http_options=config.http_options, limits=config.limits)
    skip = start.pulled
    try:
        while True:
            run.pulled = 0
            for item in _epoch_items(config, topology, epoch, skip, opener, run):
                yield item, ReaderPosition(epoch, run.pulled, False, run.counts.samples, run.counts.shards)
            if not config.repeat or run.stopped or run.pulled == 0:
                break
            epoch += 1
            skip = 0
    finally:
        opener.close()
    yield END, ReaderPosition(epoch, run.pulled, True, run.counts.samples, run.counts.shards)
