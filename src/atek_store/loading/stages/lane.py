"""The first stage: one reader's raw samples of one source in one epoch, in the global order.

The reader walks the rounds of the source (one for a plain shard list), takes the shard positions
its partition gives it, and yields their samples in the global order (:mod:`..order`): shard by
shard in tar order, or, when shuffling, window by window with the samples of its shards in the
window sorted by their seeded hash (so a window's shards are read whole before its first sample).
Shards that earlier topologies (the :class:`~atek_store.loading.ledger.EpochLedger`) or this
reader before a restart took completely are not even opened; from partly taken ones only the
samples nobody took are yielded, without decoding the others.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from typing import Any

from atek_store.errors import LoaderError
from atek_store.loading.handler import DATA_ERRORS, ErrorPolicy
from atek_store.loading.ledger import EpochLedger, LanePosition, consumed_by
from atek_store.loading.order import Coverage, RoundOrder, SampleId
from atek_store.loading.partition import Partition
from atek_store.loading.stages.base import Stage, StageState
from atek_store.sources import ShardOpener, SourceSample, is_remote

__all__ = ["Lane", "LaneItem"]

LaneItem = tuple[SampleId, SourceSample]
Prefetch = Callable[[str, Sequence[str]], None]


def _groups(owned: Sequence[int], order: RoundOrder) -> Iterator[list[int]]:
    """Owned positions grouped by the unit the order sorts together (window or shard)."""
    group: list[int] = []
    for position in owned:
        if group and order.group(position) != order.group(group[0]):
            yield group
            group = []
        group.append(position)
    if group:
        yield group


class Lane(Stage[LaneItem]):
    """One reader's samples of one source in one epoch, minus what was already taken.

    Args:
        source: the source's number in the dataset (0 for a plain shard list).
        urls: the source's shards.
        order: the source's global order in this epoch.
        partition: which positions this reader owns.
        reader: this reader's number in the pass.
        ledger: what earlier topologies took of this epoch.
        opener: reads shards (shared by the reader's stages).
        policy: what to do with a bad shard.
        rounds: how many rounds the lane has (1 for a plain list; None: as many as asked for).
        prefetch: told ``(lane, urls)``: the http(s) shards the lane reads next, in order (the
            read-ahead's :meth:`~atek_store.loading.readahead.ReadAhead.want`); None for none.
        lookahead: how many shards beyond the current group to name to ``prefetch``.
    """

    def __init__(
        self,
        *,
        source: int,
        urls: tuple[str, ...],
        order: RoundOrder,
        partition: Partition,
        reader: int,
        ledger: EpochLedger,
        opener: ShardOpener,
        policy: ErrorPolicy,
        rounds: int | None,
        prefetch: Prefetch | None = None,
        lookahead: int = 0,
    ) -> None:
        self.source = source
        self.urls = urls
        self.order = order
        self.partition = partition
        self.reader = reader
        self.ledger = ledger
        self.opener = opener
        self.policy = policy
        self.rounds = rounds
        self.prefetch = prefetch
        self.lookahead = lookahead if prefetch is not None else 0
        self.position = LanePosition()
        self.skipped_shards = 0
        self.stopped = False
        self._items: Generator[LaneItem, None, None] = self._walk(LanePosition())

    def reset(self, state: Mapping[str, Any] | None = None) -> None:
        """Start the lane over, or continue after the position in ``state``."""
        self.position = LanePosition() if state is None else LanePosition.from_json(state["position"])
        self.skipped_shards = 0 if state is None else int(state["skipped_shards"])
        self.stopped = False
        self._items.close()
        self._items = self._walk(self.position)

    def close(self) -> None:
        """Close the walk, and with it the shard being read (an unfinished cache entry is dropped)."""
        self._items.close()
        if self.prefetch is not None:
            self.prefetch(self._key, ())

    def get_state(self) -> StageState:
        """The lane position and the shards skipped so far."""
        return {"position": self.position.to_json(), "skipped_shards": self.skipped_shards}

    def __next__(self) -> LaneItem:
        try:
            sample_id, sample = next(self._items)
        except StopIteration:
            if self.rounds is not None and not self.stopped:
                self.position = LanePosition(self.rounds, None, self.position.taken)
            raise
        self.position = LanePosition(sample_id[0], sample_id, self.position.taken + 1)
        return sample_id, sample

    @property
    def _key(self) -> str:
        return f"lane-{self.source}"

    def _todo(self, start: LanePosition) -> Iterator[tuple[int, list[tuple[int, tuple[SampleId, ...]]]]]:
        """The groups with samples left, round after round, each with its positions to read."""
        order = self.order
        round_ = start.round
        while self.rounds is None or round_ < self.rounds:
            for group in _groups(self.partition.owned(order, round_, self.reader), order):
                todo = self._untaken(round_, group, start)
                if todo:
                    yield round_, todo
            round_ += 1

    def _walk(self, start: LanePosition) -> Generator[LaneItem, None, None]:
        order = self.order
        groups = self._todo(start)
        ahead: deque[tuple[int, list[tuple[int, tuple[SampleId, ...]]]]] = deque()
        fruitless = 0  # shards read in a row that gave nothing (guards an endless lane)
        while True:
            # Keep enough groups in view to name the next ``lookahead`` shards to the read-ahead.
            while sum(len(todo) for _, todo in ahead) <= self.lookahead:
                upcoming = next(groups, None)
                if upcoming is None:
                    break
                ahead.append(upcoming)
            if not ahead:
                return
            round_, todo = ahead.popleft()
            if self.prefetch is not None:
                self.prefetch(self._key, self._urls([(round_, todo), *ahead]))
            produced = 0
            for item in self._window(round_, todo) if order.shuffle else self._read(round_, *todo[0]):
                produced += 1
                yield item
            if self.stopped:
                return
            fruitless = 0 if produced else fruitless + len(todo)
            if self.rounds is None and fruitless > order.num_shards:
                raise LoaderError(
                    f"source {self.source} gives no samples: its last {fruitless} shards were empty or "
                    f"skipped as bad (first shard {self.urls[0]!r}); check the shard list"
                )

    def _urls(self, groups: list[tuple[int, list[tuple[int, tuple[SampleId, ...]]]]]) -> list[str]:
        """The streamed shards of the groups, in reading order."""
        urls = [
            self.urls[self.order.shards(round_)[position]] for round_, todo in groups for position, _ in todo
        ]
        return [url for url in urls if is_remote(url)]

    def _untaken(
        self, round_: int, group: list[int], start: LanePosition
    ) -> list[tuple[int, tuple[SampleId, ...]]]:
        """The positions of a group with samples left, each with the prefixes that end inside it."""
        todo = []
        for position in group:
            own = self.order.coverage(round_, position, start.last, start.round)
            if own is Coverage.FULL:
                continue
            covered, prefixes = self.ledger.coverage(self.source, round_, position)
            if covered is Coverage.FULL:
                continue
            if own is Coverage.PARTIAL and start.last is not None:
                prefixes = (*prefixes, start.last)
            todo.append((position, prefixes))
        return todo

    def _read(self, round_: int, position: int, prefixes: tuple[SampleId, ...]) -> Iterator[LaneItem]:
        """The untaken samples of one shard, in tar order; a bad shard is skipped or raised by the policy."""
        url = self.urls[self.order.shards(round_)[position]]
        try:
            for index, sample in enumerate(self.opener.samples(url)):
                sample_id = (round_, position, index)
                if prefixes and consumed_by(self.order, sample_id, prefixes):
                    continue
                yield sample_id, sample
        except DATA_ERRORS as error:
            if not self.policy.skip(error, what="shard (the rest of it)"):
                self.stopped = True
                return
            self.skipped_shards += 1

    def _window(self, round_: int, todo: list[tuple[int, tuple[SampleId, ...]]]) -> Iterator[LaneItem]:
        items: list[tuple[tuple[int, ...], LaneItem]] = []
        for position, prefixes in todo:
            for item in self._read(round_, position, prefixes):
                items.append((self.order.key(item[0]), item))
            if self.stopped:
                break
        items.sort(key=lambda pair: pair[0])
        for _, item in items:
            yield item
