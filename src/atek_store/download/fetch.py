"""Fetch one shard: stream into ``<name>.part`` while hashing, resume by Range, verify, rename.

The bytes come through the HTTP layer's engine (:class:`~atek_store.http.ResumableGet`: ranged
resume, the 200-to-Range rule, retry budget, stall rule); this module owns what is particular to
a shard on disk. The sha1 is computed in the same pass that writes the bytes; between attempts of
one run the running hash stays in memory, so a resumed transfer never reads the file back; only a
``.part`` left by an earlier process is re-hashed, once. Size and sha1 are checked before
``os.replace`` makes the file visible under its final name.

When the sha1 is wrong: if the ``.part`` began with bytes from an earlier run, those may be what is
wrong, so the shard starts again from byte 0 at once; a transfer whose every byte came in this run
and that fails its sha1 twice fails the shard (the server holds other bytes; asking a third time
will not help). A ``.part`` never stays behind empty.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from atek_store.errors import IntegrityError
from atek_store.http import ResumableGet, RetryPolicy, StallRule, Transport
from atek_store.manifest import ShardEntry

__all__ = [
    "HASH_BLOCK",
    "Cancelled",
    "PartialFile",
    "ShardFetch",
    "drop_stale_part",
    "hash_file",
    "kept_bytes",
    "part_path",
]

_log = logging.getLogger(__name__)
HASH_BLOCK = 1 << 20
_SHA1_STRIKES = 2  # fresh transfers with a wrong sha1 before the shard fails


class Cancelled(Exception):  # noqa: N818 - a control-flow signal, not an error a user sees
    """The run is stopping (URLs expired elsewhere, or interrupted); the ``.part`` stays for later."""


def part_path(dest: Path) -> Path:
    """Where the bytes of ``dest`` collect until they are verified."""
    return dest.with_name(dest.name + ".part")


def kept_bytes(dest: Path) -> int:
    """Bytes of ``dest`` kept in its ``.part`` for a re-run (0 when there is none)."""
    try:
        return part_path(dest).stat().st_size
    except OSError:
        return 0


def drop_stale_part(dest: Path) -> None:
    """Remove the ``.part`` beside a verified ``dest``: it can only be stale (an interrupted --overwrite)."""
    with contextlib.suppress(FileNotFoundError):
        part_path(dest).unlink()


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
        from_disk: how many of those were read back from an earlier run's file (not received now).
        bytes_hashed: every byte fed to the hash, streamed or read back from disk.
        bytes_rehashed: the part of ``bytes_hashed`` that was read back from disk.
        bytes_received: body bytes written from the network (over every attempt).
    """

    def __init__(self, path: Path, expected_size: int) -> None:
        """Track ``path`` (``<final name>.part``) for a shard of ``expected_size`` bytes."""
        self.path = path
        self.expected_size = expected_size
        self.offset = 0
        self.from_disk = 0
        self.hasher = hashlib.sha1(usedforsecurity=False)
        self.bytes_hashed = 0
        self.bytes_rehashed = 0
        self.bytes_received = 0
        self._synced = False  # True while ``hasher`` covers exactly the file's first ``offset`` bytes
        self._handle: BinaryIO | None = None

    def prepare(self) -> int:
        """Make the file and the hash agree; returns the offset to resume from."""
        self.close()
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            size = -1
        if self._synced and size == self.offset and size > 0:
            return self.offset
        if size <= 0 or size > self.expected_size:
            self.discard()
            self._synced = True
            return 0
        # A .part from an earlier process: its hash state died with it, so re-hash the prefix once.
        self.hasher, self.offset = hash_file(self.path)
        self.from_disk = self.offset
        self.bytes_hashed += self.offset
        self.bytes_rehashed += self.offset
        self._synced = True
        return self.offset

    def append(self, chunk: bytes) -> None:
        """Write ``chunk`` at the end of the file and hash it in the same pass."""
        if self._handle is None:
            # Opened on the first byte, so that a refused request leaves no empty .part behind.
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "ab")  # noqa: SIM115 - closed by close()
        self._handle.write(chunk)
        self.hasher.update(chunk)
        self.offset += len(chunk)
        self.bytes_hashed += len(chunk)
        self.bytes_received += len(chunk)

    def close(self) -> None:
        """Flush and close the file; an empty one is removed."""
        if self._handle is not None:
            handle, self._handle = self._handle, None
            handle.close()
        with contextlib.suppress(FileNotFoundError):
            if self.path.stat().st_size == 0:
                self.path.unlink()

    def publish(self, dest: Path) -> None:
        """Flush the complete file to disk and rename it to ``dest``."""
        self.close()
        if self.expected_size == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.touch()
        with open(self.path, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(self.path, dest)
        self._synced = False

    def discard(self) -> int:
        """Delete the file and forget the hash; returns the bytes dropped."""
        dropped = self.offset
        if self._handle is not None:
            handle, self._handle = self._handle, None
            handle.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self.hasher = hashlib.sha1(usedforsecurity=False)
        self.offset = 0
        self.from_disk = 0
        self._synced = False
        return dropped


class ShardFetch:
    """Getting one shard to its final path, verified: every attempt, every restart.

    Attributes:
        attempts: HTTP requests made for the shard so far.
    """

    def __init__(
        self,
        shard: ShardEntry,
        dest: Path,
        part: PartialFile,
        transport: Transport,
        *,
        policy: RetryPolicy,
        stall: StallRule,
        chunk_size: int = 1 << 20,
        on_bytes: Callable[[int], None] = lambda n: None,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Set the shard up; ``on_bytes`` hears of every byte in the ``.part`` (negative when dropped).

        ``sleep`` waits between attempts; the scheduler's raises :class:`Cancelled` when the run stops.
        """
        self.shard = shard
        self.dest = dest
        self.part = part
        self.attempts = 0
        self._transport = transport
        self._policy = policy
        self._stall = stall
        self._chunk_size = chunk_size
        self._on_bytes = on_bytes
        self._stop = stop or threading.Event()
        self._clock = clock
        self._sleep = sleep

    def run(self) -> None:
        """Fetch, verify and rename.

        Raises:
            Cancelled: the stop switch was set (the ``.part`` is kept).
            UrlsExpiredError: 401/403.
            IntegrityError: the sha1 failed on two fresh transfers, or the server's size is wrong.
            TransferError: the retry budget ran out, or the failure cannot heal.
            OSError: the ``.part`` cannot be written.
        """
        strikes = 0
        while True:
            offset = self.part.prepare()
            self._on_bytes(offset)
            if offset < self.shard.size:
                self._receive(offset, strikes)
            digest = self.part.hasher.hexdigest()
            if digest == self.shard.sha1:
                self.part.publish(self.dest)
                return
            had_old_prefix = self.part.from_disk > 0
            self._on_bytes(-self.part.discard())
            if had_old_prefix:
                _log.info(
                    "%s: sha1 does not match with the earlier run's bytes; starting again from 0",
                    self.shard.relpath,
                )
                continue
            strikes += 1
            message = f"{self.shard.relpath}: sha1 {digest} does not match the URL JSON's {self.shard.sha1}"
            if strikes >= _SHA1_STRIKES:
                raise IntegrityError(
                    f"{message}, on {strikes} fresh transfers: the server holds other bytes than the JSON "
                    "describes; fetch a fresh URL JSON, or tell the store's maintainers",
                    shard=self.shard.relpath,
                    expected=self.shard.sha1,
                    actual=digest,
                )
            _log.info("%s; fetching it once more from byte 0", message)

    def _receive(self, offset: int, restart: int) -> None:
        transfer = ResumableGet(
            self._transport,
            self.shard.url,
            start=offset,
            expected_size=self.shard.size,
            name=self.shard.relpath,
            policy=self._policy,
            stall=self._stall,
            clock=self._clock,
            sleep=self._sleep,
            rng=self._policy.rng_for(f"{self.shard.relpath}#{restart}"),
        )
        try:
            for chunk in transfer.chunks(self._chunk_size):
                if self._stop.is_set():
                    raise Cancelled(self.shard.relpath)
                self.part.append(chunk)
                self._on_bytes(len(chunk))
        finally:
            self.attempts += transfer.attempts
            transfer.close()
            self.part.close()
