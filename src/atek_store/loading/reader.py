"""One reader's chain of stages, built from the dataset's config and the pass's plan.

Stages, in the original's order: shards in the global order -> decode -> select/remap keys ->
transform -> batch, and with ``repeat_flag`` the next epoch's chain after each. Samples are
decoded only once chosen (a resumed reader skips what was taken without decoding it), and keys
outside ``dict_key_mapping`` are never decoded.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from atek_store.loading.config import DatasetConfig
from atek_store.loading.ledger import EpochLedger
from atek_store.loading.mixing import reader_quotas, schedule
from atek_store.loading.order import RoundOrder, derive_seed
from atek_store.loading.partition import Partition, RoundRobin, SplitterPartition
from atek_store.loading.plan import PassPlan
from atek_store.loading.ranges import HttpRanges
from atek_store.loading.readahead import ReadAhead, connections_per_reader, spill_folder
from atek_store.loading.stages.base import Stage
from atek_store.loading.stages.batch import Batch
from atek_store.loading.stages.decode import Decode
from atek_store.loading.stages.epochs import EpochChain, Epochs
from atek_store.loading.stages.lane import Lane
from atek_store.loading.stages.select import SelectKeys
from atek_store.loading.stages.source import EpochSource
from atek_store.loading.stages.transform import Transform
from atek_store.sources import ShardCache, ShardOpener, is_remote

__all__ = ["build_reader", "open_reader", "source_orders"]


def source_orders(config: DatasetConfig, epoch: int) -> tuple[RoundOrder, ...]:
    """The global order of each source in ``epoch``."""
    options = config.options
    mixed = config.mixture is not None
    return tuple(
        RoundOrder(
            num_shards=len(urls),
            seed=options.seed,
            shuffle=config.shuffle,
            window=options.shuffle_window,
            scope=(name, epoch) if mixed else (epoch,),
        )
        for name, urls in zip(config.names, config.sources, strict=True)
    )


def _partition(config: DatasetConfig, plan: PassPlan) -> Partition:
    if config.nodesplitter is not None:
        return SplitterPartition(config.nodesplitter, config.sources[0], plan.topology.workers)
    return RoundRobin(plan.topology.readers)


def build_reader(
    config: DatasetConfig, plan: PassPlan, stream: int, opener: ShardOpener, ahead: ReadAhead | None = None
) -> Epochs:
    """The chain of reader ``stream`` of this rank, reset to where the plan starts it."""
    partition = _partition(config, plan)
    reader = stream if config.nodesplitter is not None else plan.topology.reader(stream)
    options = config.options

    def make(epoch: int) -> EpochChain:
        orders = source_orders(config, epoch)
        layers = plan.prior.get(epoch, ())
        ledger = EpochLedger(layers, orders)
        mixture = config.mixture
        order_of_samples = None
        if mixture is not None:
            left = [quota - ledger.taken(s) for s, quota in enumerate(mixture.quotas())]
            mine = reader_quotas(left, readers=partition.readers, reader=reader)
            rng = random.Random(derive_seed(options.seed, "mix", epoch, len(layers), reader))
            order_of_samples = schedule(mine, rng)
        lanes = [
            Lane(
                source=index,
                urls=urls,
                order=orders[index],
                partition=partition,
                reader=reader,
                ledger=ledger,
                opener=opener,
                policy=options.policy,
                rounds=None if mixture is not None else 1,
                prefetch=ahead.want if ahead is not None else None,
                lookahead=options.read_ahead,
            )
            for index, urls in enumerate(config.sources)
        ]
        source = EpochSource(lanes, order_of_samples)
        decode = Decode(
            source,
            policy=options.policy,
            wanted=config.wanted,
            channels_last=options.channels_last,
            limits=options.read_limits,
        )
        top: Stage[Any] = decode
        if config.dict_key_mapping:
            top = SelectKeys(decode, config.dict_key_mapping)
        if config.data_transform_fn is not None:
            top = Transform(top, config.data_transform_fn)
        if config.batch_size:
            top = Batch(top, config.batch_size, config.collation_fn or list)
        return EpochChain(top, source, decode)

    epochs = Epochs(make, first=plan.epoch, repeat=config.repeat, known=frozenset(plan.prior))
    epochs.reset(plan.start_of(stream))
    return epochs


def _read_ahead(
    config: DatasetConfig, cache: ShardCache | None, *, readers: int
) -> tuple[ReadAhead, HttpRanges] | None:
    """The reader's read-ahead, when it streams anything and read-ahead is on.

    ``readers``: how many readers this rank runs (its DataLoader workers), who share its connections.
    """
    options = config.options
    if not options.read_ahead or not any(is_remote(url) for url in config.all_urls):
        return None
    connections = options.read_ahead_connections or connections_per_reader(readers)
    client = HttpRanges(options.http_options, connections=connections)
    window = ReadAhead(
        client,
        window=options.read_ahead,
        connections=connections,
        spill_dir=spill_folder(options.cache_dir),
        cached=None if cache is None else lambda url: cache.path_for(url).is_file(),
    )
    return window, client


@contextmanager
def open_reader(config: DatasetConfig, plan: PassPlan, stream: int) -> Iterator[Epochs]:
    """A reader with its own shard opener, read-ahead and HTTP connections, closed on leaving."""
    options = config.options
    cache = (
        ShardCache(options.cache_dir, max_bytes=options.cache_max_bytes)
        if options.cache_dir is not None
        else None
    )
    ahead = _read_ahead(config, cache, readers=plan.topology.workers)
    window = ahead[0] if ahead is not None else None
    opener = ShardOpener(
        cache=cache, http_options=options.http_options, prefetched=window, limits=options.read_limits
    )
    reader: Epochs | None = None
    try:
        reader = build_reader(config, plan, stream, opener, window)
        yield reader
    finally:
        if reader is not None:
            reader.close()
        opener.close()
        if ahead is not None:
            ahead[0].close()
            ahead[1].close()
