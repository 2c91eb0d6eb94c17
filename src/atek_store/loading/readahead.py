"""Read-ahead: a reader's next shards fetched over parallel connections while it decodes the current one.

One connection gives what a CDN gives one TCP stream (8 MB/s is common), several times less than a
reader decodes. So each reader keeps a small window of its upcoming shards in flight, cut into
byte ranges (``chunk_bytes``) fetched by ``connections`` threads, the earliest shard's ranges
first. The shard being decoded is handed over (:meth:`ReadAhead.claim`) as a stream that yields
its bytes in order as they arrive: decoding starts with the first range, and the ranges behind it
and the next shards keep arriving meanwhile.

Bounds: at most ``window`` shards are fetched ahead; what is fetched but not yet read is held in
memory (about ``window`` shards at most), or, with a spill folder (the cache folder when there is
one), written there and read back, so memory holds only the ranges in flight. A shard the cache
already holds is never asked for: the opener looks in the cache first and claims only on a miss.
The order of samples is untouched (the reader asks for exactly the shards it reads next).

The byte ranges come through a :class:`RangeSource`: the HTTP layer's client, with its retry
policy (this module never speaks HTTP itself).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from atek_store.download.transport import parse_content_range
from atek_store.errors import LoaderError, TransferError, UsageError
from atek_store.loading.remote import HttpClient

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "DEFAULT_CONNECTIONS",
    "ClientRanges",
    "RangeRead",
    "RangeSource",
    "ReadAhead",
    "spill_folder",
]

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_BYTES = 4 << 20
"""Bytes per range request: half a second at 8 MB/s, small against a 30 MB shard."""

DEFAULT_CONNECTIONS = 8
"""Parallel range requests per reader."""


@dataclass(frozen=True)
class RangeRead:
    """Bytes ``[start, end)`` of a file (fewer at its end), and the file's size when the answer said."""

    data: bytes
    total: int | None


class RangeSource(Protocol):
    """Reads byte ranges of URLs with retries (the HTTP layer); safe to call from several threads."""

    def read_range(self, url: str, start: int, end: int) -> RangeRead:
        """Bytes ``[start, end)`` of ``url``; raises the HTTP layer's errors."""
        ...


@dataclass
class _Fetch:
    """One shard on its way: its ranges by index, as they arrive."""

    url: str
    spill: BinaryIO | None
    size: int | None = None  # known after the first range answered
    ranges: dict[int, bytes | int] = field(default_factory=dict)  # index -> bytes, or length spilled
    scheduled: int = 0  # ranges handed to a connection so far
    arrived: int = 0  # ranges that came back so far
    short: bool = False  # a range came back short: the shard ends there (size unknown otherwise)
    error: BaseException | None = None
    claimed: bool = False

    def count(self, chunk: int) -> int | None:
        """How many ranges the shard has, once known."""
        if self.size is not None:
            return max(1, -(-self.size // chunk))
        return self.scheduled if self.short else None


class ReadAhead:
    """A bounded window of shards fetched ahead over parallel connections, handed over by URL.

    Args:
        source: where byte ranges come from.
        window: shards fetched ahead (the one being read included).
        connections: parallel range requests.
        chunk_bytes: bytes per range request.
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
        spill_dir: Path | None = None,
        cached: Callable[[str], bool] | None = None,
    ) -> None:
        if window < 1 or connections < 1 or chunk_bytes < 1:
            raise UsageError(
                f"read-ahead needs positive sizes, got {window=}, {connections=}, {chunk_bytes=}"
            )
        self.source = source
        self.window = window
        self.chunk = chunk_bytes
        self.spill_dir = spill_dir
        self._cached = cached
        self._cond = threading.Condition()
        self._fetches: dict[str, _Fetch] = {}  # in reading order
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
        with self._cond:
            self._wanted[lane] = wanted
            self._refresh()
            self._cond.notify_all()

    def claim(self, url: str) -> BinaryIO | None:
        """The shard's bytes as a stream (they go on arriving as it is read); None if not fetched ahead."""
        with self._cond:
            fetch = self._fetches.get(url)
            if fetch is None or fetch.claimed:
                return None
            fetch.claimed = True
            self._cond.notify_all()
        return io.BufferedReader(_Claimed(self, fetch), buffer_size=1 << 20)

    def close(self) -> None:
        """Stop fetching and drop everything fetched (threads finish their current request alone)."""
        with self._cond:
            self._closed = True
            for fetch in self._fetches.values():
                _close_spill(fetch)
            self._fetches.clear()
            self._cond.notify_all()

    # -- inside -----------------------------------------------------------------------------------

    def _refresh(self) -> None:
        """Keep the fetches of the first ``window`` wanted shards (lanes taken in turn), drop the rest."""
        lists = list(self._wanted.values())
        order: list[str] = []
        for depth in range(max((len(urls) for urls in lists), default=0)):
            for urls in lists:
                if depth < len(urls) and urls[depth] not in order:
                    order.append(urls[depth])
        keep = [url for url in self._fetches if self._fetches[url].claimed]
        keep += [url for url in order if url not in keep][: max(0, self.window - len(keep))]
        for url in list(self._fetches):
            if url not in keep:
                _close_spill(self._fetches.pop(url))
        for url in keep:
            if url not in self._fetches:
                self._fetches[url] = _Fetch(url, self._spill_file())
        self._fetches = {url: self._fetches[url] for url in keep}

    def _spill_file(self) -> BinaryIO | None:
        if self.spill_dir is None:
            return None
        # Unlinked at once: nothing is left behind, even by a killed worker. Closed by _close_spill.
        return tempfile.TemporaryFile(dir=self.spill_dir, prefix=".atek-read-ahead-")  # noqa: SIM115

    def _next_task(self) -> tuple[_Fetch, int] | None:
        for fetch in self._fetches.values():
            if fetch.error is not None:
                continue
            count = fetch.count(self.chunk)
            if fetch.scheduled == 0 or (count is not None and fetch.scheduled < count):
                return fetch, fetch.scheduled
            if count is None and fetch.arrived == fetch.scheduled:
                return fetch, fetch.scheduled  # size unknown: one range after the other
        return None

    def _connection(self) -> None:
        while True:
            with self._cond:
                task = self._next_task()
                while task is None and not self._closed:
                    self._cond.wait()
                    task = self._next_task()
                if self._closed or task is None:
                    return
                fetch, index = task
                fetch.scheduled = index + 1
            start = index * self.chunk
            try:
                read: RangeRead | None = self.source.read_range(fetch.url, start, start + self.chunk)
                error: BaseException | None = None
            except BaseException as failure:  # handed to the reader, who raises it in its own thread
                read, error = None, failure
            with self._cond:
                if self._fetches.get(fetch.url) is not fetch:
                    continue  # dropped meanwhile
                if read is None:
                    fetch.error = error
                else:
                    self._store(fetch, index, read)
                self._cond.notify_all()

    def _store(self, fetch: _Fetch, index: int, read: RangeRead) -> None:
        fetch.arrived += 1
        if fetch.size is None and read.total is not None:
            fetch.size = read.total
        if len(read.data) < self.chunk and fetch.size is None:
            fetch.short = True
        if fetch.spill is not None:
            fetch.spill.seek(index * self.chunk)
            fetch.spill.write(read.data)
            fetch.ranges[index] = len(read.data)
        else:
            fetch.ranges[index] = read.data

    def _take(self, fetch: _Fetch, index: int) -> bytes | None:
        """Range ``index`` of a claimed shard, waiting for it; None past the end."""
        with self._cond:
            while True:
                if self._closed:
                    raise LoaderError("the read-ahead was closed while a shard was being read")
                count = fetch.count(self.chunk)
                if count is not None and index >= count:
                    return None
                if index in fetch.ranges:
                    piece = fetch.ranges.pop(index)
                    break
                if fetch.error is not None:
                    raise fetch.error
                self._cond.wait()
            self._cond.notify_all()  # room for one more range in flight
            if isinstance(piece, bytes):
                return piece
            assert fetch.spill is not None  # noqa: S101 - a spilled range has a file
            fetch.spill.seek(index * self.chunk)
            return fetch.spill.read(piece)

    def _release(self, fetch: _Fetch) -> None:
        with self._cond:
            if self._fetches.get(fetch.url) is fetch:
                del self._fetches[fetch.url]
                _close_spill(fetch)
                for urls in self._wanted.values():
                    if fetch.url in urls:
                        urls.remove(fetch.url)
                self._refresh()
                self._cond.notify_all()


def _close_spill(fetch: _Fetch) -> None:
    if fetch.spill is not None:
        with contextlib.suppress(OSError):
            fetch.spill.close()


class _Claimed(io.RawIOBase):
    """A claimed shard: its ranges in order, each handed over (and freed) once."""

    def __init__(self, owner: ReadAhead, fetch: _Fetch) -> None:
        super().__init__()
        self._owner = owner
        self._fetch = fetch
        self._index = 0
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._pending:
            piece = self._owner._take(self._fetch, self._index)
            if piece is None:
                return 0
            self._index += 1
            self._pending = memoryview(piece)
        view = memoryview(buffer).cast("B")
        count = min(len(view), len(self._pending))
        view[:count] = self._pending[:count]
        self._pending = self._pending[count:]
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


class ClientRanges:
    """Byte ranges through the loader's HTTP client (its transport and its retry policy).

    Each range is a GET from its first byte, read as far as the range goes, then dropped; a
    connection lost on the way is re-requested from where it stopped (up to the client's
    ``resumes``).

    Args:
        client: the HTTP client (one per reading process).
    """

    def __init__(self, client: HttpClient) -> None:
        self._client = client

    def read_range(self, url: str, start: int, end: int) -> RangeRead:
        """Bytes ``[start, end)`` of ``url``, and its size when the answer declared it."""
        data = bytearray(end - start)
        view = memoryview(data)
        filled, total, resumes = 0, None, self._client.options.resumes
        while True:
            body = self._client.request(url, start + filled)
            try:
                if total is None:
                    total = _declared_size(body.response.headers, start + filled)
                while filled < len(data):
                    count = body.readinto(view[filled:])
                    if not count:
                        return RangeRead(bytes(view[:filled]), total)
                    filled += count
                return RangeRead(bytes(data), total)
            except TransferError as error:
                if not error.retryable or resumes <= 0:
                    raise
                resumes -= 1
            finally:
                body.response.close()


def _declared_size(headers: Mapping[str, str], start: int) -> int | None:
    span = parse_content_range(headers.get("Content-Range"))
    if span is not None:
        return span.total
    length = headers.get("Content-Length")
    # A 200 answers from byte 0 (the client skipped what was before ``start``).
    return int(length) if length is not None and length.isdigit() else None
