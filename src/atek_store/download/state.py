"""Small state records that prove a shard on disk was verified, so a re-run need not re-read it.

A record holds the shard's relative path, size, mtime (ns) and sha1 at the moment it was verified.
If the file still has that size and mtime, and the URL JSON still promises that sha1, the file is
the verified one. Records are appended to ``<output>/.atek_store/verified.jsonl`` as shards finish
(a killed run keeps every record it wrote; a torn last line is ignored) and the journal is compacted
at the end of a run.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from atek_store.atomic import atomic_write_text
from atek_store.manifest import ShardEntry

__all__ = ["STATE_DIR", "StateJournal", "VerifiedRecord"]

_log = logging.getLogger(__name__)
STATE_DIR = ".atek_store"
_JOURNAL = "verified.jsonl"


@dataclass(frozen=True)
class VerifiedRecord:
    """What a shard file looked like when its sha1 was last checked."""

    relpath: str
    size: int
    mtime_ns: int
    sha1: str


def _parse_line(line: str) -> VerifiedRecord | None:
    try:
        raw = json.loads(line)
        record = VerifiedRecord(
            relpath=str(raw["relpath"]),
            size=int(raw["size"]),
            mtime_ns=int(raw["mtime_ns"]),
            sha1=str(raw["sha1"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
    return record


class StateJournal:
    """The verified-shard records of one output folder (thread-safe appends)."""

    def __init__(self, folder: str | Path) -> None:
        """Bind to ``folder``; call :meth:`load` to read existing records."""
        self.folder = Path(folder)
        self.path = self.folder / STATE_DIR / _JOURNAL
        self._records: dict[str, VerifiedRecord] = {}
        self._lock = threading.Lock()

    def load(self) -> StateJournal:
        """Read the journal (missing is fine: no records); the last record of a path wins."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return self
        except (OSError, UnicodeDecodeError) as error:
            _log.warning("ignoring unreadable state journal %s: %s", self.path, error)
            return self
        for line in text.splitlines():
            record = _parse_line(line) if line.strip() else None
            if record is not None:
                self._records[record.relpath] = record
        return self

    def __iter__(self) -> Iterator[VerifiedRecord]:
        return iter(list(self._records.values()))

    @property
    def records(self) -> Mapping[str, VerifiedRecord]:
        """Current records by relative path."""
        return dict(self._records)

    def proves(self, shard: ShardEntry) -> bool:
        """True when a record shows that the shard's file is unchanged since it was verified."""
        record = self._records.get(shard.relpath)
        if record is None or record.sha1 != shard.sha1 or record.size != shard.size:
            return False
        try:
            stat = os.stat(self.folder / shard.relpath)
        except OSError:
            return False
        return stat.st_size == record.size and stat.st_mtime_ns == record.mtime_ns

    def record(self, shard: ShardEntry) -> VerifiedRecord:
        """Note that the shard's file, as it is now on disk, has the shard's sha1."""
        stat = os.stat(self.folder / shard.relpath)
        record = VerifiedRecord(
            relpath=shard.relpath, size=stat.st_size, mtime_ns=stat.st_mtime_ns, sha1=shard.sha1
        )
        line = json.dumps(asdict(record), separators=(",", ":")) + "\n"
        with self._lock:
            self._records[record.relpath] = record
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(line)
        return record

    def forget(self, relpath: str) -> None:
        """Drop the record of a path (its file is being replaced)."""
        with self._lock:
            self._records.pop(relpath, None)

    def compact(self) -> None:
        """Rewrite the journal atomically with one record per path whose file still exists."""
        with self._lock:
            alive = {path: rec for path, rec in self._records.items() if (self.folder / path).is_file()}
            self._records = alive
            if not alive and not self.path.exists():
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            text = "".join(json.dumps(asdict(rec), separators=(",", ":")) + "\n" for rec in alive.values())
            atomic_write_text(self.path, text)
