"""A size-capped, least-recently-used cache of streamed shards, safe for several processes.

A shard is stored under a name built from the URL's host and *full path* (never its basename, so
``seqA/shards-0000.tar`` and ``seqB/shards-0000.tar`` stay apart). The query string is left out:
signed URLs carry an expiring signature there, and a refreshed URL list must still hit the cache.

A shard enters the cache only after it was read completely: it is written to a unique temporary
name beside its final place (``<name>.<random>.part``), flushed to disk, and moved into place with
``os.replace`` under a lock file, after evicting the least recently used shards until it fits.
Readers that lose a race with an eviction simply stream the shard again; files already open stay
readable after being unlinked.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from filelock import FileLock

from atek_store.errors import CacheError

__all__ = ["DEFAULT_CACHE_MAX_BYTES", "CacheEntryWriter", "ShardCache"]

logger = logging.getLogger(__name__)

DEFAULT_CACHE_MAX_BYTES = 100 * 2**30
"""Default size cap (100 GiB); pass ``cache_max_bytes`` to change it."""

_LOCK_NAME = ".atek-cache.lock"
_PART_SUFFIX = ".part"
_STALE_PART_SECONDS = 24 * 3600
_MAX_COMPONENT = 200


def _safe_component(part: str) -> bool:
    return (
        bool(part)
        and part not in (".", "..")
        and "/" not in part
        and "\0" not in part
        and len(part.encode("utf-8", "surrogateescape")) <= _MAX_COMPONENT
    )


class ShardCache:
    """Shards kept on local disk, keyed by URL host and path.

    Args:
        root: the cache folder (created if needed).
        max_bytes: size cap; least recently used shards are evicted to stay under it.

    Raises:
        CacheError: the folder cannot be created or written, or ``max_bytes`` is not positive.
    """

    def __init__(self, root: str | os.PathLike[str], *, max_bytes: int = DEFAULT_CACHE_MAX_BYTES) -> None:
        if max_bytes <= 0:
            raise CacheError(f"cache_max_bytes must be positive, got {max_bytes}")
        self.root = Path(root)
        self.max_bytes = max_bytes
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CacheError(f"cannot create the shard cache folder {self.root}: {error}") from None
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise CacheError(f"the shard cache folder {self.root} is not writable")
        self._lock = FileLock(str(self.root / _LOCK_NAME))

    def path_for(self, url: str) -> Path:
        """Where the shard of ``url`` is (or would be) cached."""
        parts = urlsplit(url)
        try:
            host = (parts.hostname or "_") + (f"_{parts.port}" if parts.port else "")
        except ValueError:  # not a port (``h:abc``): fetching will say so; a hashed name does here
            host = ""
        components = [unquote(part) for part in parts.path.split("/") if part]
        if (
            host
            and components
            and all(_safe_component(part) for part in [host, *components])
            and components[-1] != _LOCK_NAME
            and not components[-1].endswith(_PART_SUFFIX)
        ):
            return self.root.joinpath(host, *components)
        # Odd paths (empty, "..", very long names) get a hashed name instead of a readable one.
        digest = hashlib.sha256(f"{host or parts.netloc}{parts.path}".encode()).hexdigest()[:32]
        return self.root / "_hashed" / digest

    def lookup(self, url: str) -> Path | None:
        """The cached file of ``url``, marked as just used; None when it is not cached."""
        path = self.path_for(url)
        try:
            os.utime(path)  # the access time that eviction orders by
        except FileNotFoundError:
            return None
        return path

    def writer(self, url: str) -> CacheEntryWriter | None:
        """A temporary file that becomes the cached copy of ``url`` on commit; None if it cannot be made."""
        final = self.path_for(url)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=_PART_SUFFIX)
        except OSError as error:
            logger.warning("not caching %s: %s", final, error)
            return None
        return CacheEntryWriter(self, os.fdopen(handle, "wb"), Path(temp), final)

    def usage(self) -> int:
        """Bytes held by complete cached shards."""
        return sum(size for _, size, _ in self._entries())

    def _entries(self) -> list[tuple[float, int, Path]]:
        entries = []
        now = time.time()
        for folder, _, files in os.walk(self.root):
            for name in files:
                path = Path(folder) / name
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue
                if name.endswith(_PART_SUFFIX):
                    if now - stat.st_mtime > _STALE_PART_SECONDS:  # left by a killed process
                        path.unlink(missing_ok=True)
                    continue
                if name == _LOCK_NAME:
                    continue
                entries.append((stat.st_mtime, stat.st_size, path))
        return entries

    def _admit(self, temp: Path, final: Path, size: int) -> None:
        with self._lock:
            entries = sorted(entry for entry in self._entries() if entry[2] != final)
            used = sum(size for _, size, _ in entries)
            for _, old_size, old_path in entries:
                if used + size <= self.max_bytes:
                    break
                old_path.unlink(missing_ok=True)
                used -= old_size
                logger.debug("evicted %s (%d bytes) from the shard cache", old_path, old_size)
            os.replace(temp, final)


class CacheEntryWriter:
    """Bytes on their way into the cache; nothing is visible under the final name before :meth:`commit`."""

    def __init__(self, cache: ShardCache, file: BinaryIO, temp: Path, final: Path) -> None:
        self._cache = cache
        self._file = file
        self.temp = temp
        self.final = final
        self.size = 0
        self.failed = False

    def write(self, data: bytes | memoryview) -> None:
        """Append bytes; past the cache's size cap the entry is dropped (the shard is still read)."""
        if self.failed:
            return
        self.size += len(data)
        if self.size > self._cache.max_bytes:
            logger.warning(
                "not caching %s: it is larger than cache_max_bytes (%d)", self.final, self._cache.max_bytes
            )
            self.abort()
            return
        try:
            self._file.write(data)
        except OSError as error:
            logger.warning("not caching %s: %s", self.final, error)
            self.abort()

    def commit(self) -> None:
        """Make the complete file visible under its final name (evicting older shards to fit)."""
        if self.failed:
            return
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._cache._admit(self.temp, self.final, self.size)
        except OSError as error:
            logger.warning("not caching %s: %s", self.final, error)
            self.abort()

    def abort(self) -> None:
        """Drop the temporary file."""
        self.failed = True
        with contextlib.suppress(OSError):
            self._file.close()
        self.temp.unlink(missing_ok=True)
