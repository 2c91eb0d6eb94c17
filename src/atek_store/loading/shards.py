"""Which shards a reader reads: the URL list, the epoch's shard order, and the rank x worker split.

Every epoch, all ranks compute the same shard order (a seeded permutation when shuffling), then
rank ``r`` of ``W`` takes every ``W``-th shard starting at ``r``, and the ``n`` DataLoader workers of
that rank take every ``n``-th of those. So each shard is read by exactly one (rank, worker) per
epoch, and because the permutation happens *before* the split, shards move between ranks from one
epoch to the next (unlike WebDataset, which shuffles after splitting).
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import torch.distributed

from atek_store import settings
from atek_store.errors import LoaderError, ShardSplitWarning, UsageError
from atek_store.loading.shuffle import derive_seed

__all__ = [
    "NodeSplitter",
    "Topology",
    "current_rank_world",
    "expand_urls",
    "reader_shards",
    "urls_digest",
    "warn_if_idle_readers",
]

NodeSplitter = Callable[[Any], Iterable[Any]]
"""``urls -> urls`` for this node, e.g. ``webdataset.split_by_node``; replaces our rank split."""

_BRACES = re.compile(r"\{([^{}]*)\}")
_RANGE = re.compile(r"^(\d+)\.\.(\d+)$")


@dataclass(frozen=True)
class Topology:
    """Where one reader sits: its rank among ``world_size`` and its stream among ``num_streams``.

    A stream is what one DataLoader worker reads (one stream when iterating without workers).
    """

    rank: int
    world_size: int
    stream: int
    num_streams: int

    def __post_init__(self) -> None:
        if self.world_size < 1 or not 0 <= self.rank < self.world_size:
            raise UsageError(
                f"rank {self.rank} is not in 0..{self.world_size - 1} (world size {self.world_size}); "
                "check RANK and WORLD_SIZE"
            )
        if self.num_streams < 1 or not 0 <= self.stream < self.num_streams:
            raise UsageError(f"worker stream {self.stream} is not in 0..{self.num_streams - 1}")


def current_rank_world() -> tuple[int, int]:
    """Rank and world size: from ``torch.distributed`` when initialised, else ``RANK``/``WORLD_SIZE``."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    try:
        return settings.env_rank_world()
    except ValueError as error:
        raise UsageError(f"RANK and WORLD_SIZE must be integers: {error}") from None


def _expand_braces(pattern: str) -> list[str]:
    match = _BRACES.search(pattern)
    if match is None:
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end() :]
    body = match.group(1)
    numeric = _RANGE.match(body)
    if numeric:
        first, last = numeric.group(1), numeric.group(2)
        width = len(first) if first.startswith("0") else 0
        step = 1 if int(last) >= int(first) else -1
        choices = [f"{i:0{width}d}" for i in range(int(first), int(last) + step, step)]
    else:
        choices = body.split(",")
    return [expanded for choice in choices for expanded in _expand_braces(head + choice + tail)]


def expand_urls(urls: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[str]:
    """The shard list as strings: a list is kept in order; a string may use WebDataset's braces.

    ``"seq/shards-{0000..0002}.tar"`` gives three URLs, ``"{a,b}/shards-0000.tar"`` two.

    Raises:
        UsageError: the list is empty or holds something other than strings and paths.
    """
    if isinstance(urls, str | os.PathLike):
        expanded = _expand_braces(os.fspath(urls))
    else:
        expanded = []
        for url in urls:
            if not isinstance(url, str | os.PathLike):
                raise UsageError(f"shard URLs must be strings or paths, got {type(url).__name__}: {url!r}")
            expanded.append(os.fspath(url))
    if not expanded:
        raise UsageError("the shard list is empty: pass at least one .tar path or URL")
    return expanded


def urls_digest(urls: Sequence[str]) -> str:
    """A short fingerprint of the shard list, stored in resume states to catch a changed list."""
    return hashlib.sha256("\n".join(urls).encode("utf-8")).hexdigest()[:16]


def _epoch_order(urls: Sequence[str], *, seed: int, epoch: int, shuffle: bool) -> list[str]:
    order = list(urls)
    if shuffle:
        random.Random(derive_seed(seed, "shards", epoch)).shuffle(order)
    return order


def _apply_nodesplitter(nodesplitter: NodeSplitter, urls: list[str]) -> list[str]:
    picked: list[str] = []
    for item in nodesplitter(iter(urls)):
        # webdataset's splitters pass through whatever they get; its own shard lists hold dicts.
        url = item.get("url") if isinstance(item, dict) else item
        if not isinstance(url, str):
            raise LoaderError(f"nodesplitter returned {item!r}; expected URL strings")
        picked.append(url)
    return picked


def reader_shards(
    urls: Sequence[str],
    topology: Topology,
    *,
    seed: int,
    epoch: int,
    shuffle: bool,
    nodesplitter: NodeSplitter | None = None,
) -> list[str]:
    """The shards one reader reads in one epoch, in reading order.

    Args:
        urls: every shard of the dataset, in the caller's order.
        topology: the reader's rank and worker stream.
        seed: seeds the shard permutation (the same on every rank).
        epoch: the epoch; each epoch has its own permutation.
        shuffle: permute the shards (before splitting), else keep the list order.
        nodesplitter: when given, ``nodesplitter(urls)`` picks this node's shards instead of the
            rank split (for code written for WebDataset, e.g. ``wds.split_by_node``); the worker
            split still applies after it.
    """
    order = _epoch_order(urls, seed=seed, epoch=epoch, shuffle=shuffle)
    if nodesplitter is not None:
        mine = _apply_nodesplitter(nodesplitter, order)
    else:
        mine = order[topology.rank :: topology.world_size]
    return mine[topology.stream :: topology.num_streams]


def warn_if_idle_readers(
    urls: Sequence[str], *, world_size: int, num_workers: int, nodesplitter: NodeSplitter | None = None
) -> None:
    """Warn (:class:`ShardSplitWarning`) when some (rank, worker) readers would get no shard at all."""
    streams = max(1, num_workers)
    if nodesplitter is None:
        shards, readers = len(urls), world_size * streams
        layout = f"{world_size} rank(s) x {streams} worker(s)"
    else:
        shards, readers = len(_apply_nodesplitter(nodesplitter, list(urls))), streams
        layout = f"{streams} worker(s) on this node after the nodesplitter"
    if shards < readers:
        warnings.warn(
            f"{shards} shard(s) for {readers} readers ({layout}): {readers - shards} reader(s) get no "
            "shard and sit idle, and ranks may see different numbers of samples. Use fewer DataLoader "
            "workers, or more and smaller shards.",
            ShardSplitWarning,
            stacklevel=3,
        )
