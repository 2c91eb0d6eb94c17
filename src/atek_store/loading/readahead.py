"""Read-ahead: a reader's next shards fetched over parallel connections while it decodes the current one.

One connection gives what a CDN gives one TCP stream (8 MB/s is common), several times less than a
reader decodes. So each reader keeps a small window of its upcoming shards in flight, cut into
byte ranges fetched by ``connections`` threads, the earliest shard's ranges first. The shard being
decoded is handed over (:meth:`ReadAhead.claim`) as a stream of its bytes in order, each byte as
soon as it arrived: decoding starts with the first bytes, while the ranges behind them and the
next shards keep arriving.

Range lengths follow the lead: the bytes asked for but not yet read. Bytes inside one range arrive
at one connection's speed, so a reader that has caught up with the fetches waits for the range it
is in, while short ranges cost requests (about 0.6 ms of CPU each, client and server, against
about 1 ms to receive 256 KiB). A range is therefore the lead shared among the connections
(``lead / connections``), at least a floor that starts at ``min_chunk_bytes`` and doubles with
every ``connections`` ranges asked (the way a TCP window opens; it starts again whenever the reader
has caught up), at most ``chunk_bytes``. When a pass starts, the first bytes come over all
connections at once; once the fetches are ahead, ranges are long and requests few.

Bounds: at most ``window`` shards are fetched ahead (the one being read included); what is
fetched but not yet read is held in memory (``window`` shards at most), or, with a spill folder
(the cache folder when there is one), written there and read back, so that memory holds nothing
but what is being copied. A shard the cache already holds is never asked for: the opener looks in
the cache first and claims only on a miss, and :meth:`ReadAhead.want` leaves cached shards out.
The order of samples is untouched (the reader names exactly the shards it reads next).

The bytes come through a :class:`RangeSource` (the HTTP layer's client and retry policy: this
module never speaks HTTP itself).
"""

from __future__ import annotations

import collections
import contextlib
import io
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from atek_store.errors import LoaderError, UsageError

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "DEFAULT_CONNECTIONS",
    "DEFAULT_MIN_CHUNK_BYTES",
    "MIN_CONNECTIONS_PER_READER",
    "RANK_CONNECTIONS",
    "RangeSink",
    "RangeSource",
    "ReadAhead",
    "connections_per_reader",
    "spill_folder",
]

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_BYTES = 2 << 20
"""The longest range request, once the fetches are well ahead of the reader: each request's own cost (a
round trip, about 0.6 ms of CPU) stays small against its bytes (a quarter of a second at 8 MB/s)."""

DEFAULT_MIN_CHUNK_BYTES = 256 << 10
"""The shortest range request, when the reader is close behind the fetches (at the start of a pass): 33 ms
at 8 MB/s, so that the next bytes come over many connections at once instead of one."""

DEFAULT_CONNECTIONS = 16
"""Parallel range requests of one reader: at 8 MB/s each, 128 MB/s, about twice what one reader decodes
(one core: 60-75 MB/s of real cubercnn samples), so that the fetches get ahead of it and stay there."""

RANK_CONNECTIONS = 64
"""The most parallel range requests of one rank, all its readers (DataLoader workers) together."""

MIN_CONNECTIONS_PER_READER = 4


def connections_per_reader(readers: int) -> int:
    """A reader's connections when a rank runs ``readers`` of them (its DataLoader workers).

    :data:`DEFAULT_CONNECTIONS` each, as long as the rank stays within :data:`RANK_CONNECTIONS`
    (a server's patience, and a thread per connection); past that the readers share the rank's
    budget, each keeping at least :data:`MIN_CONNECTIONS_PER_READER`.
    """
    share = RANK_CONNECTIONS // max(1, readers)
    return max(MIN_CONNECTIONS_PER_READER, min(DEFAULT_CONNECTIONS, share))


class RangeSink(Protocol):
    """Where a range's answer goes, as it arrives."""

    def size(self, total: int | None) -> None:
        """The file's size, once the answer's headers said it (None: they did not); before any data."""
        ...

    def write(self, data: bytes | memoryview) -> None:
        """The next bytes of the range (kept as they are when ``bytes``; a memoryview is copied)."""
        ...


class RangeSource(Protocol):
    """Reads byte ranges of URLs with retries (the HTTP layer); safe to call from several threads."""

    def read_range(self, url: str, start: int, end: int, sink: RangeSink) -> None:
        """Bytes ``[start, end)`` of ``url`` (fewer at its end) into ``sink``; raises the layer's errors."""
        ...


class _Dropped(Exception):
    """Raised into a transfer whose shard nobody wants any more (stops it early)."""


@dataclass
class _Range:
    """Bytes ``[start, start + asked)`` of a shard: ``length`` arrived, ``read`` of them handed over."""

    start: int
    asked: int
    # Arrived and not yet read, as they came (none when spilled).
    pieces: collections.deque[bytes] = field(default_factory=collections.deque)
    offset: int = 0  # bytes of the first piece already read
    length: int = 0
    read: int = 0
    done: bool = False


@dataclass
class _Fetch:
    """One shard on its way."""

    url: str
    spill: BinaryIO | None
    size: int | None = None
    answered: bool = False  # the first range's answer came (with or without a size)
    ranges: dict[int, _Range] = field(default_factory=dict)
    scheduled: int = 0  # ranges asked for
    asked: int = 0  # bytes asked for: where the next range starts
    read: int = 0  # bytes handed to the reader
    finished: int = 0
    short: bool = False  # a range ended early and no size was declared: the shard ends there
    error: BaseException | None = None
    claimed: bool = False

    def count(self) -> int | None:
        """How many ranges the shard has, once all are asked for."""
        if self.scheduled and ((self.size is not None and self.asked >= self.size) or self.short):
            return self.scheduled
        return None

    def lead(self) -> int:
        """Bytes asked for and not yet read."""
        return max(0, self.asked - self.read)


class _Sink:
    """Puts one range's bytes into its fetch, under the read-ahead's lock."""

    def __init__(self, owner: ReadAhead, fetch: _Fetch, target: _Range) -> None:
        self._owner, self._fetch, self._range = owner, fetch, target

    def size(self, total: int | None) -> None:
        owner = self._owner
        with owner._lock:
            if self._fetch.size is None and total is not None:
                self._fetch.size = total
            self._fetch.answered = True
            owner._tasks.notify_all()  # the shard's other ranges can be asked for now
            owner._arrivals.notify_all()

    def write(self, data: bytes | memoryview) -> None:
        owner, fetch, target = self._owner, self._fetch, self._range
        with owner._lock:
            if owner._closed or owner._fetches.get(fetch.url) is not fetch:
                raise _Dropped
            if fetch.spill is not None:
                os.pwrite(fetch.spill.fileno(), data, target.start + target.length)
            elif data:
                # Kept as it came (no copy, no buffer to fault in): copied once, into the reader's buffer.
                target.pieces.append(data if isinstance(data, bytes) else bytes(data))
            target.length += len(data)
            owner._arrivals.notify_all()  # only the reader waits for bytes: no connection wakes up


class ReadAhead:
    """A bounded window of shards fetched ahead over parallel connections, handed over by URL.

    Args:
        source: where byte ranges come from.
        window: shards fetched ahead (the one being read included).
        connections: parallel range requests.
        chunk_bytes: the longest range request (when the fetches are well ahead of the reader).
        min_chunk_bytes: the shortest (when the reader is close behind); at most ``chunk_bytes``.
        spill_dir: hold fetched bytes in a file here instead of in memory (None: memory).
        cached: whether the cache already holds a URL (such shards are never fetched ahead).
    """

    def __init__(
        self,
        source: RangeSource,
        *,
        window: int,
        connections: int = DEFAULT_CONNECTIONS,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        min_chunk_bytes: int = DEFAULT_MIN_CHUNK_BYTES,
        spill_dir: Path | None = None,
        cached: Callable[[str], bool] | None = None,
    ) -> None:
        if window < 1 or connections < 1 or chunk_bytes < 1 or min_chunk_bytes < 1:
            raise UsageError(
                "read-ahead needs positive sizes, got "
                f"{window=}, {connections=}, {chunk_bytes=}, {min_chunk_bytes=}"
            )
        self.source = source
        self.window = window
        self.connections = connections
        self.chunk = chunk_bytes
        self.min_chunk = min(min_chunk_bytes, chunk_bytes)
        self._opened = 0  # ranges asked since the lead was last 0 (see _length)
        self.spill_dir = spill_dir
        self._cached = cached
        # One lock, two conditions: connections wait for work, the reader for bytes (a piece of a
        # range arrives every few milliseconds; waking every connection for each would cost more
        # than the copying).
        self._lock = threading.Lock()
        self._tasks = threading.Condition(self._lock)
        self._arrivals = threading.Condition(self._lock)
        self._fetches: dict[str, _Fetch] = {}  # claimed first, then in reading order
        self._wanted: dict[str, list[str]] = {}  # per lane: its next shards
        self._closed = False
        self._threads = [
            threading.Thread(target=self._connection, name=f"atek-read-ahead-{i}", daemon=True)
            for i in range(connections)
        ]
        for thread in self._threads:
            thread.start()

    # -- what the reader says and takes ---------------------------------------------------------

    def want(self, lane: str, urls: Sequence[str]) -> None:
        """Say which shards a lane reads next, in order (the next one first); replaces its earlier wish.

        Shards no lane wants any more and nobody claimed are dropped; shards in the cache are left out.
        """
        cached = self._cached
        wanted = [url for url in urls if cached is None or url in self._fetches or not cached(url)]
        with self._lock:
            self._wanted[lane] = wanted
            self._refresh()
            self._tasks.notify_all()

    def claim(self, url: str) -> BinaryIO | None:
        """The shard's bytes as a stream (they go on arriving as it is read); None if not fetched ahead."""
        with self._lock:
            fetch = self._fetches.get(url)
            if fetch is None or fetch.claimed:
                return None
            fetch.claimed = True
            self._tasks.notify_all()
        return io.BufferedReader(_Claimed(self, fetch), buffer_size=1 << 20)

    def close(self) -> None:
        """Stop fetching and drop everything fetched (a transfer in flight stops at its next bytes)."""
        with self._lock:
            self._closed = True
            for fetch in self._fetches.values():
                _close_spill(fetch)
            self._fetches.clear()
            self._tasks.notify_all()
            self._arrivals.notify_all()

    # -- the window -------------------------------------------------------------------------------

    def _refresh(self) -> None:
        """Keep the claimed fetches and the first wanted ones up to ``window`` (lanes in turn)."""
        lists = list(self._wanted.values())
        order: list[str] = []
        for depth in range(max((len(urls) for urls in lists), default=0)):
            for urls in lists:
                if depth < len(urls) and urls[depth] not in order:
                    order.append(urls[depth])
        keep = [url for url, fetch in self._fetches.items() if fetch.claimed]
        keep += [url for url in order if url not in keep][: max(0, self.window - len(keep))]
        fetches = {url: self._fetches.get(url) or _Fetch(url, self._spill_file()) for url in keep}
        for url, fetch in self._fetches.items():
            if url not in fetches:
                _close_spill(fetch)
        self._fetches = fetches

    def _spill_file(self) -> BinaryIO | None:
        if self.spill_dir is None:
            return None
        # Unlinked at once: nothing is left behind, even by a killed worker. Closed by _close_spill.
        return tempfile.TemporaryFile(dir=self.spill_dir, prefix=".atek-read-ahead-")  # noqa: SIM115

    def _next_task(self) -> tuple[_Fetch, int] | None:
        """The next range to ask for and its length: the earliest shard's first, to arrive soonest."""
        lead = 0  # bytes asked for ahead of the reader, in the shards before this range
        for fetch in self._fetches.values():
            if fetch.error is not None:
                continue
            lead += fetch.lead()
            if fetch.scheduled == 0 or (fetch.size is not None and fetch.asked < fetch.size):
                return fetch, self._length(lead)
            if not fetch.answered:
                # Its size comes with the first answer, within a round trip: wait for it rather than
                # spend the connections on later shards while its own ranges are still to be asked.
                return None
            if fetch.count() is None and fetch.finished == fetch.scheduled:
                return fetch, self.chunk  # no size declared: one range after the other, to its end
        return None

    def _length(self, lead: int) -> int:
        """A range's length for a lead of ``lead`` bytes: the lead shared among the connections, bounded.

        The floor opens with the ranges asked since the reader last had nothing ahead of it (the
        start of a pass, or a link slower than decoding): then it starts again from the shortest.
        """
        if lead == 0:
            self._opened = 0
        floor = self.min_chunk * 2 ** (self._opened / self.connections)
        self._opened += 1
        return int(min(self.chunk, max(floor, lead // self.connections)))

    def _connection(self) -> None:
        while True:
            with self._lock:
                task = self._next_task()
                while task is None and not self._closed:
                    self._tasks.wait()
                    task = self._next_task()
                if task is None:
                    return
                fetch, length = task
                if fetch.size is not None:
                    length = min(length, fetch.size - fetch.asked)
                target = fetch.ranges[fetch.scheduled] = _Range(fetch.asked, length)
                fetch.scheduled += 1
                fetch.asked += length
            error: BaseException | None = None
            try:
                self.source.read_range(
                    fetch.url, target.start, target.start + length, _Sink(self, fetch, target)
                )
            except _Dropped:
                continue
            except BaseException as failure:  # handed to the reader, who raises it in its own thread
                error = failure
            with self._lock:
                if error is not None:
                    fetch.error = fetch.error or error
                else:
                    target.done = True
                    fetch.finished += 1
                    fetch.answered = True
                    if target.length < target.asked and fetch.size is None:
                        fetch.short = True
                self._tasks.notify_all()
                self._arrivals.notify_all()

    # -- the claimed stream -----------------------------------------------------------------------

    def _take(self, fetch: _Fetch, index: int, into: memoryview) -> tuple[int, bool] | None:
        """Copy bytes of range ``index`` of a claimed shard into ``into``.

        Returns how many, and whether the range is used up; waits for bytes; None past the end of
        the shard. The copy is made under the lock (a range still arriving may grow meanwhile).
        """
        with self._lock:
            while True:
                if self._closed:
                    raise LoaderError("the read-ahead was closed while a shard was being read")
                count = fetch.count()
                if count is not None and index >= count:
                    return None
                target = fetch.ranges.get(index)
                if target is not None and (target.read < target.length or target.done):
                    break
                if fetch.error is not None:
                    raise fetch.error
                self._arrivals.wait()
            size = min(len(into), target.length - target.read)
            if fetch.spill is not None:
                size = os.preadv(fetch.spill.fileno(), [into[:size]], target.start + target.read)
            else:
                size = _copy_pieces(target, into[:size])
            target.read += size
            fetch.read += size
            used_up = target.done and target.read == target.length
            if used_up:
                del fetch.ranges[index]
            return size, used_up

    def _release(self, fetch: _Fetch) -> None:
        with self._lock:
            if self._fetches.get(fetch.url) is fetch:
                del self._fetches[fetch.url]
                _close_spill(fetch)
                for urls in self._wanted.values():
                    if fetch.url in urls:
                        urls.remove(fetch.url)
                self._refresh()
                self._tasks.notify_all()


def _copy_pieces(target: _Range, into: memoryview) -> int:
    """Copy the next arrived bytes of a range into ``into`` (all of it, or all that arrived); how many."""
    copied = 0
    pieces = target.pieces
    while copied < len(into) and pieces:
        first = pieces[0]
        count = min(len(into) - copied, len(first) - target.offset)
        with memoryview(first) as view:  # no intermediate copy of the slice
            into[copied : copied + count] = view[target.offset : target.offset + count]
        copied += count
        target.offset += count
        if target.offset == len(first):
            pieces.popleft()
            target.offset = 0
    return copied


def _close_spill(fetch: _Fetch) -> None:
    if fetch.spill is not None:
        with contextlib.suppress(OSError):
            fetch.spill.close()


class _Claimed(io.RawIOBase):
    """A claimed shard: its bytes in order, each handed over once."""

    def __init__(self, owner: ReadAhead, fetch: _Fetch) -> None:
        super().__init__()
        self._owner = owner
        self._fetch = fetch
        self._index = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while True:
            taken = self._owner._take(self._fetch, self._index, view)
            if taken is None:
                return 0
            count, used_up = taken
            if used_up:
                self._index += 1
            if count:
                return count

    def close(self) -> None:
        if not self.closed:
            self._owner._release(self._fetch)
        super().close()


def spill_folder(cache_dir: Path | None) -> Path | None:
    """Where read-ahead spills: a folder in the cache folder (created), or None for memory."""
    if cache_dir is None:
        return None
    folder = cache_dir / ".read-ahead"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        logger.warning("read-ahead keeps shards in memory: cannot create %s: %s", folder, error)
        return None
    return folder if os.access(folder, os.W_OK) else None
