"""Progress reporting: one tqdm bar for total bytes on a terminal, plain log lines otherwise."""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any, Protocol, TextIO

from tqdm import tqdm

from atek_store.download.report import ShardOutcome, format_bytes

__all__ = ["ConsoleProgress", "NullProgress", "ProgressSink"]

_log = logging.getLogger("atek_store.download")


class ProgressSink(Protocol):
    """Receives progress from the transfer threads (calls may come from any thread)."""

    def start(self, *, total_bytes: int, total_shards: int) -> None:
        """The run begins: this many bytes and shards are selected."""
        ...

    def advance(self, nbytes: int) -> None:
        """Bytes landed on disk (negative when a restart throws some away)."""
        ...

    def shard_finished(self, outcome: ShardOutcome) -> None:
        """A shard reached its final state."""
        ...

    def close(self) -> None:
        """The run is over."""
        ...


class NullProgress:
    """Reports nothing."""

    def start(self, *, total_bytes: int, total_shards: int) -> None:
        """Ignore."""

    def advance(self, nbytes: int) -> None:
        """Ignore."""

    def shard_finished(self, outcome: ShardOutcome) -> None:
        """Ignore."""

    def close(self) -> None:
        """Ignore."""


class ConsoleProgress:
    """A byte bar with rate and ETA plus a shards-done counter, or log lines every few seconds."""

    def __init__(
        self, *, bar: bool | None = None, stream: TextIO | None = None, log_every_s: float = 10.0
    ) -> None:
        """Show a bar when ``bar`` is True (default: when ``stream`` is a terminal)."""
        self._stream = stream or sys.stderr
        self._bar_wanted = self._stream.isatty() if bar is None else bar
        self._bar: tqdm[Any] | None = None
        self._lock = threading.Lock()
        self._done_bytes = 0
        self._total_bytes = 0
        self._shards_done = 0
        self._total_shards = 0
        self._failed = 0
        self._log_every_s = log_every_s
        self._last_log = 0.0
        self._started = 0.0

    def start(self, *, total_bytes: int, total_shards: int) -> None:
        """Open the bar (or note the start in the log)."""
        with self._lock:
            self._total_bytes = total_bytes
            self._total_shards = total_shards
            self._started = self._last_log = time.monotonic()
            if self._bar_wanted:
                self._bar = tqdm(
                    total=total_bytes,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    file=self._stream,
                    dynamic_ncols=True,
                )
                self._bar.set_postfix_str(f"shards 0/{total_shards}", refresh=False)
            else:
                _log.info(
                    "%d shards selected, %s in all (verified ones are skipped)",
                    total_shards,
                    format_bytes(total_bytes),
                )

    def advance(self, nbytes: int) -> None:
        """Move the bar; in log mode, print a line every ``log_every_s`` seconds."""
        with self._lock:
            self._done_bytes += nbytes
            if self._bar is not None:
                self._bar.update(nbytes)
            else:
                self._maybe_log()

    def shard_finished(self, outcome: ShardOutcome) -> None:
        """Count the shard; failures are logged as they happen."""
        with self._lock:
            self._shards_done += 1
            if not outcome.ok:
                self._failed += 1
            if self._bar is not None:
                self._bar.set_postfix_str(f"shards {self._shards_done}/{self._total_shards}", refresh=False)
            else:
                self._maybe_log()
        if not outcome.ok:
            _log.warning("%s: %s (%s)", outcome.relpath, outcome.status, outcome.reason)

    def _maybe_log(self) -> None:
        now = time.monotonic()
        if now - self._last_log < self._log_every_s and self._shards_done < self._total_shards:
            return
        self._last_log = now
        rate = self._done_bytes / max(now - self._started, 1e-9)
        left = max(self._total_bytes - self._done_bytes, 0)
        eta = f"{left / rate:.0f} s" if rate > 0 else "?"
        _log.info(
            "%s of %s (%s/s, ETA %s), shards %d/%d done, %d failed",
            format_bytes(self._done_bytes),
            format_bytes(self._total_bytes),
            format_bytes(rate),
            eta,
            self._shards_done,
            self._total_shards,
            self._failed,
        )

    def close(self) -> None:
        """Close the bar."""
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
