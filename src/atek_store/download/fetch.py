"""Fetch one shard: stream into ``<name>.part`` while hashing, resume by Range, verify, rename.

The sha1 is computed in the same pass that writes the bytes. Between attempts of one run the
running hash is kept in memory, so a resumed transfer never reads the file back; only a ``.part``
left by an earlier process is re-hashed, once, before its transfer resumes. Size and sha1 are
checked before ``os.replace`` makes the file visible under its final name.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from atek_store.download.transport import (
    TransferResponse,
    Transport,
    check_status,
    parse_content_range,
    redact_url,
)
from atek_store.errors import IntegrityError, TransferError
from atek_store.manifest import ShardEntry

__all__ = ["HASH_BLOCK", "Cancelled", "PartialFile", "fetch_once", "hash_file"]

_log = logging.getLogger(__name__)
HASH_BLOCK = 1 << 20


class Cancelled(Exception):  # noqa: N818 - a control-flow signal, not an error a user sees
    """The run is stopping (URLs expired elsewhere, or interrupted); the ``.part`` stays for later."""


def hash_file(path: Path, *, limit: int | None = None) -> tuple[hashlib._Hash, int]:
    """sha1 of a file (or of its first ``limit`` bytes), read once; returns the hasher and the count."""
    hasher = hashlib.sha1(usedforsecurity=False)
    count = 0
    with open(path, "rb") as handle:
        while limit is None or count < limit:
            block = handle.read(HASH_BLOCK if limit is None else min(HASH_BLOCK, limit - count))
            if not block:
                break
            hasher.update(block)
            count += len(block)
    return hasher, count


class PartialFile:
    """The ``.part`` file of one shard and the sha1 of the bytes it holds.

    Attributes:
        offset: bytes in the file that ``hasher`` has seen.
        bytes_hashed: every byte fed to the hash, streamed or read back from disk.
        bytes_rehashed: the part of ``bytes_hashed`` that was read back from disk.
        bytes_received: body bytes written from the network (over every attempt).
    """

    def __init__(self, path: Path, expected_size: int) -> None:
        """Track ``path`` (``<final name>.part``) for a shard of ``expected_size`` bytes."""
        self.path = path
        self.expected_size = expected_size
        self.offset = 0
        self.hasher = hashlib.sha1(usedforsecurity=False)
        self.bytes_hashed = 0
        self.bytes_rehashed = 0
        self.bytes_received = 0
        self._synced = False  # True while ``hasher`` covers exactly the file's first ``offset`` bytes

    def prepare(self) -> int:
        """Make the file and the hash agree; returns the offset to resume from."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            size = -1
        if self._synced and size == self.offset:
            return self.offset
        if size <= 0 or size > self.expected_size:
            self.reset()
            return 0
        # A .part from an earlier process: its hash state died with it, so re-hash the prefix once.
        self.hasher, self.offset = hash_file(self.path)
        self.bytes_hashed += self.offset
        self.bytes_rehashed += self.offset
        self._synced = True
        return self.offset

    def append(self, out: BinaryIO, chunk: bytes) -> None:
        """Write ``chunk`` at the end of the file and hash it in the same pass."""
        out.write(chunk)
        self.hasher.update(chunk)
        self.offset += len(chunk)
        self.bytes_hashed += len(chunk)
        self.bytes_received += len(chunk)

    def reset(self) -> int:
        """Start over from byte 0 (the file is truncated, not deleted); returns the bytes dropped."""
        dropped = self.offset
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "wb"):
            pass
        self.hasher = hashlib.sha1(usedforsecurity=False)
        self.offset = 0
        self._synced = True
        return dropped

    def discard(self) -> int:
        """Delete the file and forget the hash; returns the bytes dropped."""
        dropped = self.offset
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self.hasher = hashlib.sha1(usedforsecurity=False)
        self.offset = 0
        self._synced = False
        return dropped


def _open_response(
    transport: Transport, shard: ShardEntry, part: PartialFile, on_bytes: Callable[[int], None]
) -> TransferResponse:
    """GET from the part's offset; fall back to byte 0 when the server cannot resume properly."""
    offset = part.offset
    response = transport.get(shard.url, offset=offset)
    check_status(response, shard.url)
    if offset == 0:
        if response.status == 200:
            return response
        response.close()
        raise TransferError(f"HTTP {response.status} without a Range request for {redact_url(shard.url)}")
    if response.status == 206:
        span = parse_content_range(response.headers.get("Content-Range"))
        if span and span.first == offset and span.total in (None, shard.size):
            return response
        _log.info(
            "%s: Content-Range %r does not continue at byte %d; restarting at 0",
            shard.relpath,
            response.headers.get("Content-Range"),
            offset,
        )
    elif response.status == 200:
        # The server ignored Range and sends the whole file: use it from byte 0.
        _log.info("%s: server ignored the Range request; restarting at byte 0", shard.relpath)
        on_bytes(-part.reset())
        return response
    else:  # 416: our offset is beyond what the server has
        _log.info("%s: server refused the range from byte %d; restarting at 0", shard.relpath, offset)
    response.close()
    on_bytes(-part.reset())
    response = transport.get(shard.url, offset=0)
    check_status(response, shard.url)
    if response.status != 200:
        response.close()
        raise TransferError(f"HTTP {response.status} without a Range request for {redact_url(shard.url)}")
    return response


def _finish(shard: ShardEntry, part: PartialFile, dest: Path, on_bytes: Callable[[int], None]) -> None:
    if part.offset != shard.size:
        raise TransferError(f"{shard.relpath}: got {part.offset} of {shard.size} bytes", retryable=True)
    digest = part.hasher.hexdigest()
    if digest != shard.sha1:
        on_bytes(-part.discard())
        raise IntegrityError(
            f"{shard.relpath}: sha1 {digest} does not match the URL JSON's {shard.sha1}",
            shard=shard.relpath,
            expected=shard.sha1,
            actual=digest,
            retryable=True,
        )
    with open(part.path, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(part.path, dest)


def fetch_once(
    shard: ShardEntry,
    dest: Path,
    part: PartialFile,
    transport: Transport,
    *,
    chunk_size: int = 1 << 20,
    on_bytes: Callable[[int], None] = lambda n: None,
    stop: threading.Event | None = None,
) -> int:
    """One attempt at getting ``shard`` to ``dest``; returns the bytes received in this attempt.

    ``on_bytes`` is told of every byte that lands in the ``.part`` file (negative when a restart
    throws bytes away). Raises TransferError (``retryable`` set), IntegrityError (the ``.part`` is
    deleted), UrlsExpiredError, or :class:`Cancelled` when ``stop`` is set.
    """
    offset = part.prepare()
    on_bytes(offset)
    received = 0
    if offset < shard.size or shard.size == 0:
        response = _open_response(transport, shard, part, on_bytes)
        try:
            with open(part.path, "ab") as out:
                for chunk in response.chunks(chunk_size):
                    if stop is not None and stop.is_set():
                        raise Cancelled(shard.relpath)
                    if part.offset + len(chunk) > shard.size:
                        on_bytes(-part.discard())
                        raise IntegrityError(
                            f"{shard.relpath}: server sent more than the {shard.size} bytes promised",
                            shard=shard.relpath,
                            retryable=True,
                        )
                    part.append(out, chunk)
                    received += len(chunk)
                    on_bytes(len(chunk))
        finally:
            response.close()
    _finish(shard, part, dest, on_bytes)
    return received
