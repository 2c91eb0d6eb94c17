"""Opening one shard, wherever it is, and yielding its raw samples: the one place that does it.

``format.iter_shard``, ``viz`` (``inspect``, ``render``) and the loader all read shards through
:class:`ShardOpener`:

- a local path or ``file://`` URL is read from disk (its size is known, so a member claiming more
  than the file holds is reported before anything is read for it);
- an ``http(s)`` URL is read from the cache when it holds it (it is then never fetched), else
  from what the loader's read-ahead fetched for it (:class:`Prefetched`), else streamed with the
  HTTP client; with a cache, the streamed bytes are copied into a cache entry as they pass,
  which becomes visible only once the whole shard was read.

The stream is wrapped once (:class:`_ShardStream`: copy into the cache entry, I/O errors as our
``TransferError``) over the HTTP client's own buffered stream, never a second buffer on top.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, Protocol

from atek_store.errors import AtekStoreError, TransferError
from atek_store.format.limits import ReadLimits, read_limits
from atek_store.format.tario import RawSample, iter_raw_samples
from atek_store.sources.cache import CacheEntryWriter, ShardCache
from atek_store.sources.origin import ShardOrigin

if TYPE_CHECKING:
    from atek_store.http import HttpClient, HttpOptions

__all__ = ["Prefetched", "ShardOpener", "SourceSample"]

_READ_BUFFER = 1 << 20
# Bytes after the end-of-archive marker that are still copied into a cache entry: tar writers pad
# to a 10 KiB record. A stream that goes on far longer is not cached (and not read on).
_MAX_TRAILER = 1 << 20


class Prefetched(Protocol):
    """Shards fetched ahead of time (the loader's read-ahead): handed over once, by URL."""

    def claim(self, url: str) -> BinaryIO | None:
        """A stream of the whole shard, fetched ahead of time, or None to open it as usual."""
        ...


@dataclass(frozen=True)
class SourceSample:
    """A raw sample with the shard it came from (shared by all samples of that shard)."""

    origin: ShardOrigin
    raw: RawSample


class _ShardStream:
    """A shard's byte stream: reads pass through, copied into a cache entry if there is one.

    ``OSError`` from below (a disk error, a closed file) becomes a ``TransferError`` naming the shard.
    """

    def __init__(self, stream: BinaryIO, origin: ShardOrigin, entry: CacheEntryWriter | None) -> None:
        self._stream = stream
        self._origin = origin
        self.entry = entry

    def read(self, size: int = -1, /) -> bytes:
        try:
            data = self._stream.read(size)
        except AtekStoreError:
            raise
        except OSError as error:
            raise TransferError(
                f"cannot read shard {self._origin.name}: {error.strerror or error}", url=self._origin.name
            ) from None
        if data and self.entry is not None:
            self.entry.write(data)
        return data

    def finish(self) -> None:
        """Copy the archive's trailing padding into the cache entry, and make the entry visible."""
        entry = self.entry
        if entry is None:
            return
        left = _MAX_TRAILER
        while not entry.failed and (data := self.read(min(_READ_BUFFER, left + 1))):
            left -= len(data)
            if left < 0:
                entry.abort()  # not a plain tar: whatever follows is not worth keeping
        entry.commit()

    def close(self, *, complete: bool) -> None:
        try:
            self._stream.close()
        finally:
            if self.entry is not None and not complete:
                self.entry.abort()


class ShardOpener:
    """Yields the raw samples of shards; make one per reading process (it owns an HTTP connection pool).

    Args:
        cache: where streamed shards are kept, or None.
        http_options: timeouts and retries for streaming.
        prefetched: shards fetched ahead of time; consulted for every shard not in the cache.
        limits: the readers' ceilings (default :func:`read_limits`: the defaults, with
            ``ATEK_STORE_READ_LIMITS`` applied).
    """

    def __init__(
        self,
        *,
        cache: ShardCache | None = None,
        http_options: HttpOptions | None = None,
        prefetched: Prefetched | None = None,
        limits: ReadLimits | None = None,
    ) -> None:
        self.cache = cache
        self.limits = read_limits(limits)
        self._http_options = http_options
        self._prefetched = prefetched
        self._http: HttpClient | None = None

    def __enter__(self) -> ShardOpener:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def samples(self, source: str | os.PathLike[str] | ShardOrigin) -> Iterator[SourceSample]:
        """The raw samples of one shard, in tar order.

        Raises:
            UsageError: the URL's scheme is not supported.
            TransferError: the shard cannot be opened or fetched.
            FormatError: the tar is corrupt, truncated or over a ceiling (the error names shard
                and member).
        """
        origin = source if isinstance(source, ShardOrigin) else ShardOrigin.of(source)
        with self._open(origin) as (stream, length):
            for raw in iter_raw_samples(stream, shard=origin.name, limits=self.limits, length=length):
                yield SourceSample(origin, raw)
            stream.finish()

    def stream_samples(
        self, stream: BinaryIO, origin: ShardOrigin, *, length: int | None = None
    ) -> Iterator[SourceSample]:
        """The raw samples of a shard from a stream the caller opened (and closes).

        Args:
            stream: positioned at the start of the tar.
            origin: where it is said to come from (see :meth:`ShardOrigin.of_stream`).
            length: bytes the stream holds, when known.
        """
        reader = _ShardStream(stream, origin, None)
        for raw in iter_raw_samples(reader, shard=origin.name, limits=self.limits, length=length):
            yield SourceSample(origin, raw)

    @contextmanager
    def _open(self, origin: ShardOrigin) -> Iterator[tuple[_ShardStream, int | None]]:
        """The shard's stream and, when known, its length; the cache entry is dropped unless finished."""
        stream, length = self._stream(origin)
        complete = False
        try:
            yield stream, length
            complete = True
        finally:
            stream.close(complete=complete)

    def _stream(self, origin: ShardOrigin) -> tuple[_ShardStream, int | None]:
        if origin.remote and self.cache is not None:
            cached = self.cache.lookup(origin.url)
            if cached is not None:
                try:
                    return self._file(cached, origin)
                except FileNotFoundError:
                    pass  # evicted by another process since the lookup: fetch it instead
        claimed = self._prefetched.claim(origin.url) if self._prefetched is not None else None
        if claimed is None and origin.local_path is not None:
            return self._local(Path(origin.local_path), origin)
        if claimed is None:
            claimed = self._client().open(origin.url)
        entry = self.cache.writer(origin.url) if origin.remote and self.cache is not None else None
        return _ShardStream(claimed, origin, entry), None

    def _local(self, path: Path, origin: ShardOrigin) -> tuple[_ShardStream, int | None]:
        try:
            return self._file(path, origin)
        except OSError as error:
            raise TransferError(
                f"cannot open shard {origin.name}: {error.strerror or error}", url=origin.name
            ) from None

    @staticmethod
    def _file(path: Path, origin: ShardOrigin) -> tuple[_ShardStream, int | None]:
        file = path.open("rb", buffering=_READ_BUFFER)
        try:
            length = os.fstat(file.fileno()).st_size
        except OSError:
            file.close()
            raise
        return _ShardStream(file, origin, None), length

    def _client(self) -> HttpClient:
        if self._http is None:
            # Imported on first use: local shards need no HTTP stack (urllib3, its pool).
            from atek_store.http.client import HttpClient

            self._http = HttpClient(self._http_options)
        return self._http

    def close(self) -> None:
        """Release the HTTP connections."""
        if self._http is not None:
            self._http.close()
            self._http = None
