"""What a download will do, worked out without touching the output folder.

Parsing the URL JSON (hostile names refused), choosing and splitting the sequences, and counting
shards and bytes all happen here, before anything is written; the dry run prints this plan.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from atek_store.download.state import StateJournal
from atek_store.errors import InsufficientDiskSpaceError, UsageError
from atek_store.manifest import ConfigManifest, ShardEntry, UrlManifest, load_manifest
from atek_store.selection import Selection, load_split_json, make_selection

__all__ = ["URL_LIFETIME_DAYS", "DownloadPlan", "check_disk_space", "plan_download", "warn_if_stale"]

_log = logging.getLogger(__name__)
URL_LIFETIME_DAYS = 30


@dataclass(frozen=True)
class DownloadPlan:
    """The selected sequences, their split and shards, and where they go."""

    manifest: UrlManifest
    config: ConfigManifest
    selection: Selection
    output_folder: Path
    local: bool
    max_num_sequences: int | None
    ratio: float

    @property
    def shards(self) -> tuple[ShardEntry, ...]:
        """Every selected shard: train sequences first, then validation, each in JSON order."""
        return tuple(shard for name in self.selection.all for shard in self.config.sequences[name].shards)

    def shards_of(self, names: tuple[str, ...]) -> tuple[ShardEntry, ...]:
        """The shards of some of the selected sequences."""
        return tuple(shard for name in names for shard in self.config.sequences[name].shards)

    @property
    def total_bytes(self) -> int:
        """Sum of ``file_size_bytes`` over the selected shards."""
        return sum(shard.size for shard in self.shards)

    def bytes_still_needed(self, *, overwrite: bool = False) -> int:
        """Bytes to fetch, estimated from metadata alone (nothing is read or hashed).

        A shard counts as present when a state record proves it, or when a file of the right size
        is there (it is re-hashed before being trusted); a ``.part`` counts for its size.
        """
        if overwrite:
            return self.total_bytes
        journal = StateJournal(self.output_folder).load()
        needed = 0
        for shard in self.shards:
            if journal.proves(shard):
                continue
            dest = self.output_folder / shard.relpath
            if _size(dest) == shard.size:
                continue
            part = _size(dest.with_name(dest.name + ".part"))
            needed += shard.size - part if 0 < part <= shard.size else shard.size
        return needed


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def plan_download(
    config_name: str | None,
    input_json_path: str | Path,
    output_folder_path: str | Path,
    max_num_sequences: int | None = None,
    train_val_split_ratio: float = 0.9,
    random_seed: int = 42,
    download_wds_to_local: bool = False,
    train_val_split_json_path: str | Path | None = None,
    *,
    stable_selection: bool = False,
    allow_file_urls: bool = False,
) -> DownloadPlan:
    """Validate every input and work out the download; writes nothing.

    Raises:
        ManifestError: the URL JSON is malformed or names something unsafe.
        UsageError: an unknown config, a bad ratio, a bad split JSON, an output path that is a file.
    """
    manifest = load_manifest(input_json_path, allow_file_urls=allow_file_urls)
    config = manifest.config(config_name)
    split = load_split_json(train_val_split_json_path) if train_val_split_json_path else None
    selection = make_selection(
        config.sequences,
        seed=random_seed,
        max_num_sequences=max_num_sequences,
        ratio=train_val_split_ratio,
        split=split,
        stable=stable_selection,
    )
    output = Path(output_folder_path)
    if output.exists() and not output.is_dir():
        raise UsageError(
            f"--output-folder-path {output} exists and is not a folder", flag="--output-folder-path"
        )
    return DownloadPlan(
        manifest=manifest,
        config=config,
        selection=selection,
        output_folder=output,
        local=download_wds_to_local,
        max_num_sequences=max_num_sequences,
        ratio=train_val_split_ratio,
    )


def warn_if_stale(manifest: UrlManifest, *, now: float | None = None) -> None:
    """Log a warning when the JSON is older than the URLs' lifetime or a URL's ``Expires`` passed."""
    now = time.time() if now is None else now
    age = manifest.age_days(now)
    if age is not None and age > URL_LIFETIME_DAYS:
        _log.warning(
            "%s is %.0f days old; its signed URLs last %d days and have probably expired. "
            "If the download fails with HTTP 403, download a fresh JSON from projectaria.com and run again "
            "(verified shards are kept).",
            manifest.source,
            age,
            URL_LIFETIME_DAYS,
        )
    expiry = manifest.earliest_url_expiry()
    if expiry is not None and expiry < now:
        _log.warning(
            "%s: some URLs carry an expiry time (%s) that has passed; get a fresh JSON if transfers fail",
            manifest.source,
            time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expiry)),
        )


def check_disk_space(folder: Path, needed: int) -> None:
    """Refuse when the file system that will hold ``folder`` has less than ``needed`` bytes free.

    Raises:
        InsufficientDiskSpaceError: naming the folder, the bytes needed and the bytes free.
    """
    probe = folder.absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(os.fspath(probe)).free
    if needed > free:
        raise InsufficientDiskSpaceError(
            f"{folder}: {needed:,} bytes still to download but only {free:,} bytes free on its file system; "
            "free some space, choose another --output-folder-path, or select fewer sequences",
            needed=needed,
            free=free,
            path=str(folder),
        )
