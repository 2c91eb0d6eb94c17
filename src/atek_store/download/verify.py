"""Re-hash a local store's shards and report the missing and corrupt ones.

What to expect comes from the URL JSON when given (for the sequences the folder's report, YAML or
sub-folders name), else from the ``download_report.json`` the downloader wrote, else from its state
records. Nothing is written.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from atek_store.download.fetch import hash_file, part_path
from atek_store.download.report import REPORT_FILE, DownloadReport, format_bytes, load_report
from atek_store.download.state import StateJournal
from atek_store.errors import ShardListError, UsageError
from atek_store.manifest import check_safe_name, load_manifest
from atek_store.shardlists import load_shard_list, shard_list_path

__all__ = ["CheckStatus", "ExpectedShard", "ShardCheck", "VerifyReport", "verify_local_store"]


class CheckStatus(str, Enum):
    """How one expected shard was found on disk."""

    OK = "ok"  # present with the expected size and sha1
    MISSING = "missing"  # not on disk (perhaps only a .part)
    CORRUPT = "corrupt"  # present with another size or sha1

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class ExpectedShard:
    """A shard that should be in the folder, with the size and sha1 it must have."""

    relpath: str
    size: int
    sha1: str


@dataclass(frozen=True)
class Expectations:
    """The shards a folder should hold, and where that list came from (for the summary)."""

    shards: tuple[ExpectedShard, ...]
    source: str


@dataclass(frozen=True)
class ShardCheck:
    """The result of checking one shard, and the bytes read to check it."""

    relpath: str
    status: CheckStatus
    reason: str | None = None
    bytes_hashed: int = 0


@dataclass(frozen=True)
class VerifyReport:
    """Every expected shard's check, and where the expectations came from."""

    folder: str
    source: str
    checks: tuple[ShardCheck, ...]
    bytes_hashed: int

    @property
    def ok(self) -> bool:
        """True when every expected shard is present with the right size and sha1."""
        return all(check.status is CheckStatus.OK for check in self.checks)

    def summary_lines(self) -> list[str]:
        """One line of counts, then one line per missing or corrupt shard."""
        counts = Counter(check.status for check in self.checks)
        lines = [
            f"{self.folder}: {len(self.checks)} shards expected (from {self.source}): "
            f"{counts[CheckStatus.OK]} ok, {counts[CheckStatus.MISSING]} missing, "
            f"{counts[CheckStatus.CORRUPT]} corrupt; hashed {format_bytes(self.bytes_hashed)}"
        ]
        lines += [
            f"  {c.status.value.upper()} {c.relpath}: {c.reason}"
            for c in self.checks
            if c.status is not CheckStatus.OK
        ]
        return lines


def _safe_relpath(relpath: str, source: str) -> str:
    parts = relpath.split("/")
    if len(parts) != 2:
        raise UsageError(f"{source}: shard path {relpath!r} is not <sequence>/<file>")
    for part in parts:
        check_safe_name(part, what="path component", where=source)
    return relpath


def _from_json(folder: Path, json_path: str | Path, config_name: str | None) -> Expectations:
    manifest = load_manifest(json_path, allow_file_urls=True)
    report = _try_report(folder)
    if config_name is None and report is not None:
        config_name = report.config_name
    if config_name is None and len(manifest.configs) == 1:
        config_name = next(iter(manifest.configs))
    config = manifest.config(config_name)
    names: Iterable[str]
    if report is not None and report.config_name == config.name:
        names, whence = report.selected_sequences, REPORT_FILE
    elif shard_list_path(folder, local=True, split="all").is_file():
        names, whence = (
            load_shard_list(shard_list_path(folder, local=True, split="all")),
            "local_all_tars.yaml",
        )
    else:
        names, whence = (
            [name for name in config.sequences if (folder / name).is_dir()],
            "the sequence folders",
        )
    chosen = [name for name in names if name in config.sequences]
    if not chosen:
        raise UsageError(f"{folder}: no sequence of config {config.name!r} of {json_path} found ({whence})")
    expected = tuple(
        ExpectedShard(relpath=shard.relpath, size=shard.size, sha1=shard.sha1)
        for name in chosen
        for shard in config.sequences[name].shards
    )
    return Expectations(expected, f"{json_path}, config {config.name}, sequences from {whence}")


def _try_report(folder: Path) -> DownloadReport | None:
    path = folder / REPORT_FILE
    return load_report(path) if path.is_file() else None


def _from_folder(folder: Path) -> Expectations:
    report = _try_report(folder)
    if report is not None and report.mode == "local":
        shards = tuple(ExpectedShard(relpath=s.relpath, size=s.size, sha1=s.sha1) for s in report.shards)
        return Expectations(shards, REPORT_FILE)
    journal = StateJournal(folder).load()
    records = list(journal)
    if records:
        shards = tuple(ExpectedShard(relpath=r.relpath, size=r.size, sha1=r.sha1) for r in records)
        return Expectations(shards, "the downloader's state records (verified shards only)")
    raise UsageError(
        f"{folder} has no {REPORT_FILE} of a local download and no state records; "
        "pass --input-json-path with the URL JSON the shards came from",
        flag="--input-json-path",
    )


def _check(folder: Path, shard: ExpectedShard) -> ShardCheck:
    path = folder / shard.relpath
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        part = part_path(path)
        reason = "not on disk"
        if part.is_file():
            reason += f" (a partial download holds {part.stat().st_size:,} of {shard.size:,} bytes)"
        return ShardCheck(shard.relpath, CheckStatus.MISSING, reason)
    if size != shard.size:
        return ShardCheck(shard.relpath, CheckStatus.CORRUPT, f"size {size:,} bytes, expected {shard.size:,}")
    hasher, count = hash_file(path)
    digest = hasher.hexdigest()
    if digest != shard.sha1:
        return ShardCheck(shard.relpath, CheckStatus.CORRUPT, f"sha1 {digest}, expected {shard.sha1}", count)
    return ShardCheck(shard.relpath, CheckStatus.OK, bytes_hashed=count)


def verify_local_store(
    folder: str | Path,
    *,
    input_json_path: str | Path | None = None,
    config_name: str | None = None,
    workers: int = 4,
) -> VerifyReport:
    """Re-hash every expected shard of a local store (reads each file once, in parallel).

    Raises:
        UsageError: the folder is missing, or nothing says which shards to expect.
        ManifestError: the URL JSON or the report is malformed.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise UsageError(f"--workers must be an integer of at least 1, got {workers!r}", flag="--workers")
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder", path=str(folder))
    try:
        expected = (
            _from_json(folder, input_json_path, config_name) if input_json_path else _from_folder(folder)
        )
    except ShardListError as error:
        raise UsageError(str(error)) from None
    for shard in expected.shards:
        _safe_relpath(shard.relpath, expected.source)
    with ThreadPoolExecutor(
        max_workers=max(1, min(workers, os.cpu_count() or 1, len(expected.shards) or 1))
    ) as pool:
        checks = tuple(pool.map(lambda shard: _check(folder, shard), expected.shards))
    return VerifyReport(
        folder=str(folder),
        source=expected.source,
        checks=checks,
        bytes_hashed=sum(check.bytes_hashed for check in checks),
    )
