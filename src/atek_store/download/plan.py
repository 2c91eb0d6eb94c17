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

from atek_store.download.fetch import kept_bytes
from atek_store.download.request import DownloadRequest
from atek_store.download.state import StateJournal
from atek_store.errors import InsufficientDiskSpaceError, UsageError
from atek_store.manifest import ConfigManifest, ShardEntry, UrlManifest, load_manifest
from atek_store.selection import Selection, load_split_json, make_selection

__all__ = [
    "URL_LIFETIME_DAYS",
    "DownloadPlan",
    "Remaining",
    "check_disk_space",
    "free_bytes",
    "nearest_existing",
    "plan_download",
    "warn_if_stale",
]

_log = logging.getLogger(__name__)
URL_LIFETIME_DAYS = 30


@dataclass(frozen=True)
class Remaining:
    """What a local download still has to do, estimated from metadata alone (nothing is hashed).

    Attributes:
        proven: shards a state record proves verified and unchanged (skipped without a read).
        to_check: shards whose file has the right size but no record (re-hashed before trusted).
        to_fetch: shards to transfer, in whole or from their ``.part``.
        bytes: bytes to transfer (a ``.part`` counts for what it holds).
    """

    proven: int
    to_check: int
    to_fetch: int
    bytes: int

    @property
    def nothing_to_do(self) -> bool:
        """True when every selected shard is proven verified: no transfer and no re-hash."""
        return self.to_check == 0 and self.to_fetch == 0


@dataclass(frozen=True)
class DownloadPlan:
    """The request, the parsed URL JSON, the selected sequences and their split."""

    request: DownloadRequest
    manifest: UrlManifest
    config: ConfigManifest
    selection: Selection

    @property
    def output_folder(self) -> Path:
        """Where shards, YAML lists and the report go."""
        return self.request.output_folder_path

    @property
    def local(self) -> bool:
        """True when the shards are fetched (not only listed as URLs)."""
        return self.request.download_wds_to_local

    @property
    def shards(self) -> tuple[ShardEntry, ...]:
        """Every selected shard: train sequences first, then validation, each in JSON order."""
        return self.shards_of(self.selection.all)

    def shards_of(self, names: tuple[str, ...]) -> tuple[ShardEntry, ...]:
        """The shards of some of the selected sequences."""
        return tuple(shard for name in names for shard in self.config.sequences[name].shards)

    @property
    def total_bytes(self) -> int:
        """Sum of ``file_size_bytes`` over the selected shards."""
        return sum(shard.size for shard in self.shards)

    def remaining(self) -> Remaining:
        """What is left to do in the output folder (with ``overwrite``: everything).

        A shard counts as proven when a state record proves it, to be checked when a file of the
        right size is there without a record, and to be fetched otherwise; a ``.part`` counts for
        its size.
        """
        shards = self.shards
        if self.request.overwrite:
            return Remaining(proven=0, to_check=0, to_fetch=len(shards), bytes=self.total_bytes)
        journal = StateJournal(self.output_folder).load()
        proven = to_check = to_fetch = needed = 0
        for shard in shards:
            if journal.proves(shard):
                proven += 1
                continue
            dest = self.output_folder / shard.relpath
            if _size(dest) == shard.size:
                to_check += 1
                continue
            to_fetch += 1
            part = kept_bytes(dest)
            needed += shard.size - part if part <= shard.size else shard.size
        return Remaining(proven=proven, to_check=to_check, to_fetch=to_fetch, bytes=needed)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def plan_download(request: DownloadRequest) -> DownloadPlan:
    """Read the inputs a request names and work out the download; writes nothing.

    Raises:
        ManifestError: the URL JSON is malformed or names something unsafe.
        UsageError: an unknown config, a config or selection without shards, a bad split JSON (or
            one that matches no sequence), an output path that is a file.
    """
    manifest = load_manifest(request.input_json_path, allow_file_urls=request.allow_file_urls)
    config = manifest.config(request.config_name)
    if not config.sequences:
        raise UsageError(
            f"config {config.name!r} of {manifest.source} lists no sequences: there is nothing to download",
            flag="--config-name",
        )
    split_path = request.train_val_split_json_path
    selection = make_selection(
        config.sequences,
        seed=request.random_seed,
        max_num_sequences=request.max_num_sequences,
        ratio=request.train_val_split_ratio,
        split=load_split_json(split_path) if split_path is not None else None,
        stable=request.stable_selection,
    )
    output = request.output_folder_path
    if output.exists() and not output.is_dir():
        raise UsageError(
            f"--output-folder-path {output} exists and is not a folder", flag="--output-folder-path"
        )
    plan = DownloadPlan(request=request, manifest=manifest, config=config, selection=selection)
    if not plan.shards:
        raise UsageError(
            f"the {len(selection.all)} selected sequences of config {config.name!r} in {manifest.source} "
            "hold no shards: there is nothing to download",
            flag="--config-name",
        )
    return plan


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


def nearest_existing(folder: Path) -> Path:
    """``folder`` or its closest ancestor that exists: where the folder will be created."""
    probe = folder.absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


def free_bytes(folder: Path) -> int:
    """Bytes free on the file system that holds (or will hold) ``folder``; -1 when it cannot be told."""
    try:
        return shutil.disk_usage(os.fspath(nearest_existing(folder))).free
    except OSError:
        return -1


def check_disk_space(folder: Path, needed: int) -> None:
    """Refuse when the file system that will hold ``folder`` has less than ``needed`` bytes free.

    Raises:
        InsufficientDiskSpaceError: naming the folder, the bytes needed and the bytes free.
    """
    free = free_bytes(folder)
    if 0 <= free < needed:
        raise InsufficientDiskSpaceError(
            f"{folder}: {needed:,} bytes still to download but only {free:,} bytes free on its file system; "
            "free some space, choose another --output-folder-path, or select fewer sequences",
            needed=needed,
            free=free,
            path=str(folder),
        )
