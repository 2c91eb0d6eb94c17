"""Run many shard transfers in a bounded thread pool, with retries, backoff and a stop switch.

Parallelism is over shards, not sequences. A failure that made progress (the ``.part`` grew)
resumes at once and costs no retry; a failure without progress waits an exponential backoff with
jitter (at least the server's ``Retry-After``) and uses one of the ``retries``. A 401/403 stops the
run: no further shard starts, in-flight transfers stop at their next chunk, and every ``.part``
stays on disk (invisible to the YAMLs) for a re-run with a fresh JSON.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from atek_store.download.fetch import Cancelled, PartialFile, fetch_once, hash_file
from atek_store.download.progress import NullProgress, ProgressSink
from atek_store.download.report import ShardOutcome, ShardStatus
from atek_store.download.state import StateJournal
from atek_store.download.transport import RetryPolicy, Transport
from atek_store.errors import IntegrityError, TransferError, UrlsExpiredError, UsageError
from atek_store.manifest import ShardEntry

__all__ = ["RetryPolicy", "TransferOptions", "run_transfers"]  # RetryPolicy re-exported from transport

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TransferOptions:
    """How transfers run."""

    workers: int = 8
    retry: RetryPolicy = RetryPolicy()
    chunk_size: int = 1 << 20
    overwrite: bool = False

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise UsageError(f"--workers must be at least 1, got {self.workers}", flag="--workers")
        if self.retry.retries < 0:
            raise UsageError(f"--retries must be 0 or more, got {self.retry.retries}", flag="--retries")


class _Run:
    """Shared state of one run: the stop switch, the rng, the journal, the progress sink."""

    def __init__(
        self,
        folder: Path,
        transport: Transport,
        options: TransferOptions,
        journal: StateJournal,
        progress: ProgressSink,
    ) -> None:
        self.folder = folder
        self.transport = transport
        self.options = options
        self.journal = journal
        self.progress = progress
        self.stop = threading.Event()
        self.expired = threading.Event()
        self._rng = random.Random()  # noqa: S311 - jitter only
        self._rng_lock = threading.Lock()

    def backoff(self, failures: int, retry_after: float | None) -> float:
        with self._rng_lock:
            return self.options.retry.delay(failures, self._rng, retry_after)

    def shard(self, shard: ShardEntry) -> ShardOutcome:
        started = time.monotonic()
        outcome = self._shard(shard, started)
        self.progress.shard_finished(outcome)
        return outcome

    def _outcome(
        self, shard: ShardEntry, status: ShardStatus, started: float, **details: Any
    ) -> ShardOutcome:
        return ShardOutcome.of(shard, status, seconds=round(time.monotonic() - started, 3), **details)

    def _already_verified(self, shard: ShardEntry, dest: Path) -> tuple[bool, int]:
        """(verified, bytes re-hashed): a state record proves it, or one read of the file does."""
        if self.options.overwrite:
            self.journal.forget(shard.relpath)
            return False, 0
        if self.journal.proves(shard):
            return True, 0
        try:
            if dest.stat().st_size != shard.size:
                return False, 0
        except FileNotFoundError:
            return False, 0
        hasher, count = hash_file(dest)
        if hasher.hexdigest() == shard.sha1:
            self.journal.record(shard)
            return True, count
        # A wrong file keeps its place until a verified one replaces it (nothing a user had is lost
        # before there is something better).
        _log.info("%s: sha1 of the file on disk does not match; fetching it again", shard.relpath)
        return False, count

    def _shard(self, shard: ShardEntry, started: float) -> ShardOutcome:
        if self.stop.is_set():
            return self._outcome(
                shard, ShardStatus.NOT_STARTED, started, reason="the run stopped before this shard"
            )
        dest = self.folder / shard.relpath
        try:
            verified, rehashed = self._already_verified(shard, dest)
        except OSError as error:
            return self._outcome(
                shard, ShardStatus.FAILED, started, reason=f"cannot read {dest}: {error.strerror or error}"
            )
        if verified:
            self.progress.advance(shard.size)
            return self._outcome(
                shard, ShardStatus.PRESENT, started, bytes_hashed=rehashed, bytes_rehashed=rehashed
            )
        part = PartialFile(dest.with_name(dest.name + ".part"), shard.size)
        status, reason, attempts, resumed_from = self._fetch(shard, dest, part)
        return self._outcome(
            shard,
            status,
            started,
            reason=reason,
            attempts=attempts,
            bytes_received=part.bytes_received,
            bytes_hashed=part.bytes_hashed + rehashed,
            bytes_rehashed=part.bytes_rehashed + rehashed,
            resumed_from=resumed_from,
        )

    def _fetch(
        self, shard: ShardEntry, dest: Path, part: PartialFile
    ) -> tuple[ShardStatus, str | None, int, int]:
        """Attempts until verified, out of retries, or stopped: (status, reason, attempts, resumed_from)."""
        meter = _Meter(self.progress)
        attempts = failures = resumed_from = 0
        stopped = (
            ShardStatus.NOT_STARTED,
            "the run stopped during this shard (its .part is kept for a re-run)",
        )
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            if self.options.overwrite:
                part.discard()
            resumed_from = part.prepare()
        except OSError as error:
            return ShardStatus.FAILED, f"cannot write {part.path}: {error.strerror or error}", attempts, 0
        best = resumed_from  # the furthest the .part has got; growing it is progress
        suspect_prefix_dropped = False
        while not self.stop.is_set():
            attempts += 1
            try:
                fetch_once(
                    shard,
                    dest,
                    part,
                    self.transport,
                    chunk_size=self.options.chunk_size,
                    on_bytes=meter,
                    stop=self.stop,
                )
                self.journal.record(shard)
                return ShardStatus.DOWNLOADED, None, attempts, resumed_from
            except Cancelled:
                meter.rewind()
                return *stopped, attempts, resumed_from
            except UrlsExpiredError as error:
                meter.rewind()
                self.expired.set()
                self.stop.set()
                return ShardStatus.EXPIRED, str(error), attempts, resumed_from
            except TransferError as error:
                meter.rewind()
                if not error.retryable:
                    return ShardStatus.FAILED, str(error), attempts, resumed_from
                if part.offset > best:
                    # Progress: the next attempt resumes where this one stopped, at no retry cost.
                    best = part.offset
                    failures = 0
                    _log.debug("%s: %s; resuming at byte %d", shard.relpath, error, part.offset)
                    continue
                if isinstance(error, IntegrityError) and part.bytes_rehashed and not suspect_prefix_dropped:
                    # The bytes of a .part from an earlier run may be what was wrong: start clean at once.
                    suspect_prefix_dropped = True
                    _log.info("%s: %s; starting again from byte 0", shard.relpath, error)
                    continue
                failures += 1
                if failures > self.options.retry.retries:
                    reason = f"{error} (gave up after {self.options.retry.retries} retries)"
                    return ShardStatus.FAILED, reason, attempts, resumed_from
                delay = self.backoff(failures, error.retry_after)
                _log.info("%s: %s; retry %d in %.1f s", shard.relpath, error, failures, delay)
                if self.stop.wait(delay):
                    return *stopped, attempts, resumed_from
            except OSError as error:
                meter.rewind()
                return (
                    ShardStatus.FAILED,
                    f"cannot write {part.path}: {error.strerror or error}",
                    attempts,
                    resumed_from,
                )
        return *stopped, attempts, resumed_from


class _Meter:
    """Forwards one attempt's byte counts to the progress sink and can take them back."""

    def __init__(self, sink: ProgressSink) -> None:
        self._sink = sink
        self._shown = 0

    def __call__(self, nbytes: int) -> None:
        self._shown += nbytes
        self._sink.advance(nbytes)

    def rewind(self) -> None:
        self._sink.advance(-self._shown)
        self._shown = 0


def run_transfers(
    shards: Sequence[ShardEntry],
    folder: Path,
    *,
    transport: Transport,
    options: TransferOptions,
    journal: StateJournal,
    progress: ProgressSink | None = None,
    on_stop: Callable[[], None] | None = None,
) -> tuple[list[ShardOutcome], bool]:
    """Bring every shard to ``folder/<sequence>/<file>``.

    Returns the outcomes (in ``shards`` order) and whether the URLs expired.

    KeyboardInterrupt stops the pool (in-flight transfers end at their next chunk, ``.part`` files
    stay) and is re-raised.
    """
    sink = progress or NullProgress()
    run = _Run(folder, transport, options, journal, sink)
    sink.start(total_bytes=sum(shard.size for shard in shards), total_shards=len(shards))
    pool = ThreadPoolExecutor(max_workers=options.workers, thread_name_prefix="atek-fetch")
    try:
        futures = [pool.submit(run.shard, shard) for shard in shards]
        pending = set(futures)
        while pending:
            # A short timeout keeps the main thread responsive to Ctrl-C.
            _, pending = wait(pending, timeout=0.5, return_when=FIRST_EXCEPTION)
        outcomes = [future.result() for future in futures]
    except BaseException:
        run.stop.set()
        if on_stop is not None:
            on_stop()
        pool.shutdown(wait=True, cancel_futures=True)
        sink.close()
        raise
    pool.shutdown(wait=True)
    sink.close()
    return outcomes, run.expired.is_set()
