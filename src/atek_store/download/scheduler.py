"""Run many shard transfers in a bounded thread pool, with a stop switch and per-shard outcomes.

Parallelism is over shards, not sequences. Each shard's retries, resumes and waits follow the
HTTP layer's :class:`~atek_store.http.RetryPolicy` and :class:`~atek_store.http.StallRule` (see
:mod:`atek_store.http.retry`); failures that cannot heal (404, a wrong size, a sha1 wrong twice)
fail the shard at once. A 401/403 stops the run: no further shard starts, in-flight transfers stop
at their next chunk or wait, and every ``.part`` stays on disk (invisible to the YAMLs) for a
re-run with a fresh JSON; such shards are reported ``partial`` with the bytes kept.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from atek_store.download.fetch import (
    Cancelled,
    PartialFile,
    ShardFetch,
    drop_stale_part,
    hash_file,
    kept_bytes,
    part_path,
)
from atek_store.download.progress import NullProgress, ProgressSink
from atek_store.download.report import ShardOutcome, ShardStatus
from atek_store.download.state import StateJournal
from atek_store.errors import TransferError, UrlsExpiredError, UsageError
from atek_store.http import RetryPolicy, StallRule, Transport
from atek_store.manifest import ShardEntry

__all__ = ["RetryPolicy", "StallRule", "TransferOptions", "run_transfers"]  # re-exported from http

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TransferOptions:
    """How transfers run: parallelism, retry limits, the stall rule, chunk size, overwrite."""

    workers: int = 8
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    stall: StallRule = field(default_factory=StallRule)
    chunk_size: int = 1 << 20
    overwrite: bool = False

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise UsageError(f"--workers must be at least 1, got {self.workers}", flag="--workers")
        if self.chunk_size < 1:
            raise UsageError(f"chunk_size must be at least 1, got {self.chunk_size}", flag="chunk_size")


class _TransferRun:
    """Shared state of one download run: the stop switch, the journal, the progress sink, the waits."""

    def __init__(
        self,
        folder: Path,
        transport: Transport,
        options: TransferOptions,
        journal: StateJournal,
        progress: ProgressSink,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], object] | None,
    ) -> None:
        self.folder = folder
        self.transport = transport
        self.options = options
        self.journal = journal
        self.progress = progress
        self.stop = threading.Event()
        self.expired = threading.Event()
        self._clock = clock
        self._sleep = sleep or self.stop.wait

    def pause(self, seconds: float) -> None:
        """Wait between attempts; raises Cancelled as soon as the run stops."""
        if self._sleep(seconds) is True or self.stop.is_set():
            raise Cancelled("the run stopped")

    def shard(self, shard: ShardEntry) -> ShardOutcome:
        started = self._clock()
        outcome = self._shard(shard, started)
        self.progress.shard_finished(outcome)
        return outcome

    def _outcome(
        self, shard: ShardEntry, status: ShardStatus, started: float, **details: Any
    ) -> ShardOutcome:
        return ShardOutcome.of(shard, status, seconds=round(self._clock() - started, 3), **details)

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
        dest = self.folder / shard.relpath
        if self.stop.is_set():
            return self._stopped(shard, dest, started, "the run stopped before this shard")
        try:
            verified, rehashed = self._already_verified(shard, dest)
            if verified:
                drop_stale_part(dest)
        except OSError as error:
            return self._outcome(
                shard, ShardStatus.FAILED, started, reason=f"cannot read {dest}: {error.strerror or error}"
            )
        if verified:
            self.progress.advance(shard.size)
            return self._outcome(
                shard, ShardStatus.PRESENT, started, bytes_hashed=rehashed, bytes_rehashed=rehashed
            )
        part = PartialFile(part_path(dest), shard.size)
        status, reason, attempts, resumed_from = self._fetch(shard, dest, part)
        if status == ShardStatus.NOT_STARTED:
            return self._stopped(shard, dest, started, reason, attempts=attempts, part=part)
        return self._outcome(
            shard,
            status,
            started,
            reason=reason,
            attempts=attempts,
            bytes_received=part.bytes_received,
            bytes_hashed=part.bytes_hashed + rehashed,
            bytes_rehashed=part.bytes_rehashed + rehashed,
            bytes_kept=0 if status == ShardStatus.DOWNLOADED else kept_bytes(dest),
            resumed_from=resumed_from,
        )

    def _stopped(
        self,
        shard: ShardEntry,
        dest: Path,
        started: float,
        reason: str | None,
        *,
        attempts: int = 0,
        part: PartialFile | None = None,
    ) -> ShardOutcome:
        """``partial`` when a ``.part`` keeps bytes for a re-run, else ``not_started``."""
        kept = kept_bytes(dest)
        counts: dict[str, Any] = {}
        if part is not None:
            counts = {
                "bytes_received": part.bytes_received,
                "bytes_hashed": part.bytes_hashed,
                "bytes_rehashed": part.bytes_rehashed,
            }
        if kept:
            reason = f"{reason}; {kept:,} bytes are kept in its .part for a re-run"
            return self._outcome(
                shard,
                ShardStatus.PARTIAL,
                started,
                reason=reason,
                attempts=attempts,
                bytes_kept=kept,
                **counts,
            )
        return self._outcome(
            shard, ShardStatus.NOT_STARTED, started, reason=reason, attempts=attempts, **counts
        )

    def _fetch(
        self, shard: ShardEntry, dest: Path, part: PartialFile
    ) -> tuple[ShardStatus, str | None, int, int]:
        """Fetch and verify: (status, reason, attempts, resumed_from)."""
        meter = _Meter(self.progress)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            if self.options.overwrite:
                part.discard()
            resumed_from = part.prepare()
        except OSError as error:
            return ShardStatus.FAILED, f"cannot write {part.path}: {error.strerror or error}", 0, 0
        fetch = ShardFetch(
            shard,
            dest,
            part,
            self.transport,
            policy=self.options.retry,
            stall=self.options.stall,
            chunk_size=self.options.chunk_size,
            on_bytes=meter,
            stop=self.stop,
            clock=self._clock,
            sleep=self.pause,
        )
        try:
            fetch.run()
        except Cancelled:
            meter.rewind()
            return ShardStatus.NOT_STARTED, "the run stopped during this shard", fetch.attempts, resumed_from
        except UrlsExpiredError as error:
            meter.rewind()
            self.expired.set()
            self.stop.set()
            return ShardStatus.EXPIRED, str(error), fetch.attempts, resumed_from
        except TransferError as error:
            meter.rewind()
            return ShardStatus.FAILED, str(error), fetch.attempts, resumed_from
        except OSError as error:
            meter.rewind()
            return (
                ShardStatus.FAILED,
                f"cannot write {part.path}: {error.strerror or error}",
                fetch.attempts,
                resumed_from,
            )
        finally:
            part.close()
        self.journal.record(shard)
        return ShardStatus.DOWNLOADED, None, fetch.attempts, resumed_from


class _Meter:
    """Forwards one shard's byte counts to the progress sink and can take them back."""

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
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], object] | None = None,
) -> tuple[list[ShardOutcome], bool]:
    """Bring every shard to ``folder/<sequence>/<file>``.

    Returns the outcomes (in ``shards`` order) and whether the URLs expired. ``clock`` and
    ``sleep`` (the wait between attempts; default: an interruptible wait on the stop switch) are
    injectable so that tests need not wait.

    KeyboardInterrupt stops the pool (in-flight transfers end at their next chunk, ``.part`` files
    stay) and is re-raised.
    """
    sink = progress or NullProgress()
    run = _TransferRun(folder, transport, options, journal, sink, clock=clock, sleep=sleep)
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
