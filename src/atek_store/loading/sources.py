"""Opening one shard, wherever it is, and yielding its raw samples.

Local paths and ``file://`` URLs are read from disk. ``http(s)`` URLs are read from the cache when
it holds them, else streamed; with a cache, the streamed bytes are also written to a temporary
file that enters the cache once the whole shard has been read.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

from atek_store.errors import LoaderError, TransferError
from atek_store.format.tario import RawSample, iter_raw_samples
from atek_store.http import HttpClient, HttpOptions, redact_url
from atek_store.loading.cache import CacheEntryWriter, ShardCache

__all__ = ["ShardOpener", "SourceSample", "is_remote"]

_READ_BUFFER = 1 << 20
_REMOTE_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class SourceSample:
    """A raw sample with where it came from: ``url`` as given, ``local_path`` for local shards."""

    url: str
    local_path: str | None
    raw: RawSample


def is_remote(url: str) -> bool:
    """Whether ``url`` is streamed over http(s)."""
    return urlsplit(url).scheme.lower() in _REMOTE_SCHEMES


def _local_path(url: str) -> Path:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        return Path(unquote(parts.path))
    if scheme and len(scheme) > 1:  # one letter is a Windows drive, not a scheme
        raise LoaderError(
            f"cannot read shard {redact_url(url)}: scheme {scheme!r} is not supported; use a local "
            "path, file://, http:// or https:// (download s3/gs shards first)"
        )
    return Path(url)


class _Tee(io.RawIOBase):
    """Pass reads through, copying every byte into a cache entry."""

    def __init__(self, source: BinaryIO, sink: CacheEntryWriter) -> None:
        super().__init__()
        self._source = source
        self._sink = sink

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._source.read(len(buffer))
        count = len(data)
        buffer[:count] = data
        if count:
            self._sink.write(data)
        return count


class ShardOpener:
    """Yields the raw samples of shards; one per reading process (it owns an HTTP connection pool).

    Args:
        cache: where streamed shards are kept, or None.
        http_options: timeouts and retries for streaming.
    """

    def __init__(self, *, cache: ShardCache | None = None, http_options: HttpOptions | None = None) -> None:
        self.cache = cache
        self._http_options = http_options
        self._http: HttpClient | None = None

    def samples(self, url: str) -> Iterator[SourceSample]:
        """The raw samples of one shard, in tar order.

        Raises:
            TransferError: the shard cannot be opened or fetched.
            FormatError: the tar is corrupt or truncated (the error names shard and member).
        """
        if is_remote(url):
            yield from self._remote_samples(url)
            return
        path = _local_path(url)
        try:
            stream = path.open("rb", buffering=_READ_BUFFER)
        except OSError as error:
            raise TransferError(f"cannot open shard {path}: {error.strerror or error}", url=url) from None
        with stream:
            for raw in iter_raw_samples(stream, shard=url):
                yield SourceSample(url, str(path), raw)

    def _remote_samples(self, url: str) -> Iterator[SourceSample]:
        shown = redact_url(url)
        if self.cache is not None:
            cached = self.cache.lookup(url)
            if cached is not None:
                try:
                    stream = cached.open("rb", buffering=_READ_BUFFER)
                except FileNotFoundError:
                    pass  # evicted by another process since the lookup: stream it instead
                else:
                    with stream:
                        for raw in iter_raw_samples(stream, shard=shown):
                            yield SourceSample(url, None, raw)
                    return
        if self._http is None:
            self._http = HttpClient(self._http_options)
        response = self._http.open(url)
        entry = self.cache.writer(url) if self.cache is not None else None
        complete = False
        try:
            if entry is None:
                for raw in iter_raw_samples(response, shard=shown):
                    yield SourceSample(url, None, raw)
            else:
                tee = _Tee(response, entry)
                with io.BufferedReader(tee, buffer_size=_READ_BUFFER) as reader:
                    for raw in iter_raw_samples(reader, shard=shown):
                        yield SourceSample(url, None, raw)
                    while reader.read(_READ_BUFFER):
                        pass  # the archive's trailing padding, so the cached file is whole
            complete = True
        finally:
            response.close()
            if entry is not None:
                if complete:
                    entry.commit()
                else:
                    entry.abort()

    def close(self) -> None:
        """Release the HTTP connections."""
        if self._http is not None:
            self._http.close()
            self._http = None
