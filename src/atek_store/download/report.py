"""What a download run did, per shard and in total; written as JSON next to the YAML lists."""

from __future__ import annotations

import json
import types
import typing
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from pathlib import Path
from typing import Any

from atek_store.atomic import atomic_write_text
from atek_store.errors import ManifestError
from atek_store.manifest import ShardEntry
from atek_store.untrusted import brief, brief_text, read_json_file

__all__ = [
    "REPORT_FILE",
    "DownloadReport",
    "ShardOutcome",
    "ShardStatus",
    "format_bytes",
    "load_report",
]

REPORT_FILE = "download_report.json"


class ShardStatus(str, Enum):
    """How one shard ended in one run; the value is what ``download_report.json`` holds."""

    DOWNLOADED = "downloaded"  # fetched in this run, size and sha1 verified
    PRESENT = "present"  # already on disk and verified (state record or one re-hash)
    FAILED = "failed"  # gave up after the allowed retries, or a permanent error
    EXPIRED = "expired"  # the server refused the signed URL (401/403)
    NOT_STARTED = "not_started"  # the run stopped (URLs expired, interrupted) before this shard
    PARTIAL = "partial"  # the run stopped during this shard; ``bytes_kept`` bytes wait in its .part
    LISTED = "listed"  # streamable mode: written to the YAML, not downloaded

    def __str__(self) -> str:
        # The plain value in messages and f-strings on every Python (3.12 changed Enum.__format__).
        return self.value

    @property
    def verified(self) -> bool:
        """True for the statuses that leave the shard on disk with its size and sha1 checked."""
        return self in (ShardStatus.DOWNLOADED, ShardStatus.PRESENT)


@dataclass(frozen=True)
class ShardOutcome:
    """The fate of one shard in one run."""

    sequence: str
    key: str
    relpath: str
    size: int
    sha1: str
    status: ShardStatus
    reason: str | None = None
    attempts: int = 0
    bytes_received: int = 0
    bytes_hashed: int = 0
    bytes_rehashed: int = 0
    resumed_from: int = 0
    bytes_kept: int = 0  # bytes left in the shard's .part for a re-run (not verified yet)
    seconds: float = 0.0

    def __post_init__(self) -> None:
        # A status read back from JSON arrives as its string value; an unknown one is a ValueError.
        object.__setattr__(self, "status", ShardStatus(self.status))

    @property
    def ok(self) -> bool:
        """True when the shard is on disk and verified."""
        return self.status.verified

    @classmethod
    def of(cls, shard: ShardEntry, status: ShardStatus, **details: Any) -> ShardOutcome:
        """The outcome of ``shard`` with a status and optional details (reason, byte counts...)."""
        return cls(
            sequence=shard.sequence,
            key=shard.key,
            relpath=shard.relpath,
            size=shard.size,
            sha1=shard.sha1,
            status=status,
            **details,
        )


@dataclass(frozen=True)
class DownloadReport:
    """A whole run: inputs, selection, per-shard outcomes and totals."""

    config_name: str
    input_json_path: str
    input_json_sha256: str
    output_folder: str
    mode: str  # "local" or "streamable"
    random_seed: int
    selection_rule: str
    max_num_sequences: int | None
    train_val_split_ratio: float
    split_source: str
    selected_sequences: tuple[str, ...]
    train_sequences: tuple[str, ...]
    validation_sequences: tuple[str, ...]
    shards: tuple[ShardOutcome, ...]
    started_at: float
    finished_at: float
    urls_expired: bool = False
    interrupted: bool = False
    tool_version: str = ""
    yaml_files: tuple[str, ...] = field(default_factory=tuple)

    def count(self, status: ShardStatus) -> int:
        """Number of shards with a given status."""
        return sum(1 for shard in self.shards if shard.status == status)

    @property
    def failed(self) -> tuple[ShardOutcome, ...]:
        """Shards that are not verified on disk (local mode)."""
        if self.mode != "local":
            return ()
        return tuple(shard for shard in self.shards if not shard.ok)

    @property
    def ok(self) -> bool:
        """True when every selected shard ended verified (or was listed, in streamable mode)."""
        return not self.failed and not self.urls_expired and not self.interrupted

    @property
    def bytes_received(self) -> int:
        """Body bytes received from the server in this run."""
        return sum(shard.bytes_received for shard in self.shards)

    @property
    def total_bytes(self) -> int:
        """Size of every selected shard."""
        return sum(shard.size for shard in self.shards)

    def to_json(self) -> str:
        """The report as pretty JSON (shards keep their order)."""
        data = asdict(self)
        data["summary"] = dict(Counter(shard.status.value for shard in self.shards))
        return json.dumps(data, indent=2) + "\n"

    def write(self, folder: str | Path) -> Path:
        """Write ``download_report.json`` into ``folder`` atomically."""
        path = Path(folder) / REPORT_FILE
        atomic_write_text(path, self.to_json())
        return path

    def summary_lines(self) -> list[str]:
        """A human summary: sequences, shard counts by outcome, each failure and its reason, bytes, time."""
        counts = Counter(shard.status for shard in self.shards)
        took = max(0.0, self.finished_at - self.started_at)
        lines = [
            f"config {self.config_name}: {len(self.selected_sequences)} sequences "
            f"({len(self.train_sequences)} train, {len(self.validation_sequences)} validation), "
            f"{len(self.shards)} shards, {format_bytes(self.total_bytes)}",
        ]
        if self.mode == "local":
            line = (
                f"shards: {counts[ShardStatus.DOWNLOADED]} downloaded and verified, "
                f"{counts[ShardStatus.PRESENT]} already verified (skipped), "
                f"{counts[ShardStatus.FAILED]} failed"
            )
            if counts[ShardStatus.EXPIRED]:
                line += f", {counts[ShardStatus.EXPIRED]} refused (URLs expired)"
            if counts[ShardStatus.NOT_STARTED]:
                line += f", {counts[ShardStatus.NOT_STARTED]} not fetched (run stopped)"
            if counts[ShardStatus.PARTIAL]:
                line += f", {counts[ShardStatus.PARTIAL]} partly fetched (kept for a re-run)"
            lines.append(line)
            rate = self.bytes_received / took if took > 0 else 0.0
            lines.append(
                f"received {format_bytes(self.bytes_received)} in {took:.1f} s ({format_bytes(rate)}/s)"
            )
            for shard in self.failed[:50]:
                lines.append(
                    f"  {shard.status.value.upper()} {shard.relpath}: {shard.reason or shard.status}"
                )
            if len(self.failed) > 50:
                lines.append(f"  ... and {len(self.failed) - 50} more (see {REPORT_FILE})")
        else:
            lines.append(f"listed {counts[ShardStatus.LISTED]} shard URLs in the streamable YAMLs")
        return lines


def format_bytes(count: float) -> str:
    """``1.5 GiB``-style sizes."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover - the loop always returns


def _tuple_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(DownloadReport)}
    out = {key: value for key, value in data.items() if key in names}
    for key in ("selected_sequences", "train_sequences", "validation_sequences", "yaml_files"):
        out[key] = tuple(out.get(key, ()))
    shard_names = {f.name for f in fields(ShardOutcome)}
    out["shards"] = tuple(
        ShardOutcome(**{key: value for key, value in shard.items() if key in shard_names})
        for shard in out.get("shards", ())
    )
    return out


def _conforms(value: object, hint: Any) -> bool:
    """Whether a value read back from JSON has the type its field declares (a bool is no number)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, arg) for arg in typing.get_args(hint))
    if origin is tuple:
        item = typing.get_args(hint)[0]
        return isinstance(value, tuple) and all(_conforms(element, item) for element in value)
    if hint is type(None):
        return value is None
    if hint in (int, float):
        return isinstance(value, int if hint is int else int | float) and not isinstance(value, bool)
    return isinstance(value, hint)


def _check_types(report: DownloadReport) -> None:
    """Raise TypeError naming the first field whose value has another type than declared."""
    records: list[tuple[str, DownloadReport | ShardOutcome]] = [("", report)]
    records += [(f"shards[{index}].", shard) for index, shard in enumerate(report.shards)]
    hints = {cls: typing.get_type_hints(cls) for cls in (DownloadReport, ShardOutcome)}
    for where, record in records:
        for name, hint in hints[type(record)].items():
            value = getattr(record, name)
            if not _conforms(value, hint):
                wanted = hint.__name__ if isinstance(hint, type) else hint
                raise TypeError(f"{where}{name} is {brief(value)}, not {wanted}")


def load_report(path: str | Path) -> DownloadReport:
    """Read a ``download_report.json`` back.

    Raises:
        ManifestError: the file is missing or not a report this tool wrote.
    """
    path = Path(path)
    document = read_json_file(
        path, what="download report", fail=lambda message: ManifestError(message, path=str(path))
    )
    if not isinstance(document.data, dict):
        raise ManifestError(f"{path} is not a download report: it holds no JSON object", path=str(path))
    try:
        report = DownloadReport(**_tuple_fields(document.data))
        _check_types(report)
    except (ValueError, TypeError, AttributeError) as error:
        raise ManifestError(
            f"{path} is not a download report: {brief_text(str(error))}", path=str(path)
        ) from None
    return report
