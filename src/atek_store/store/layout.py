"""The on-disk layout of a hosted store: ``ROOT/<config>/<sequence>/shards-NNNN.tar``.

Walking the folder is the boundary where names enter the URL JSON, so names are checked here:
config and sequence names become URL path segments, JSON keys and, on a user's machine, folder
names, and the downloader refuses anything that could escape its output folder. We refuse such
names at publish time, with the folder named, instead of shipping a JSON nobody can use.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from atek_store.errors import StoreError, StoreLayoutError

__all__ = ["SAFE_NAME", "SHARD_NAME", "StoreShard", "check_name", "discover_shards", "shard_key"]

_log = logging.getLogger(__name__)

# A shard file name as the ATEK preprocessor writes it: shards-0000.tar, shards-0001.tar, ...
SHARD_NAME = re.compile(r"shards-(\d{4,})\.tar")

# Names that are safe as a folder name on every OS, as a URL path segment without quoting and
# as a JSON key: letters, digits, '_', '-', '.', not starting with '.' (no '..', no hidden files).
SAFE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")


@dataclass(frozen=True, order=True)
class StoreShard:
    """One shard file of a store, located by config, sequence and running index."""

    config: str
    sequence: str
    index: int
    path: Path

    @property
    def file_name(self) -> str:
        """The shard's file name, e.g. ``shards-0000.tar``."""
        return self.path.name

    @property
    def relpath(self) -> str:
        """The shard's path below the store root with '/' separators (also its URL path)."""
        return f"{self.config}/{self.sequence}/{self.file_name}"


def shard_key(file_name: str) -> str:
    """The URL JSON key of a shard file: its name with '.' replaced by '_' (``shards-0000_tar``)."""
    return file_name.replace(".", "_")


def check_name(name: str, *, what: str, where: Path | str) -> str:
    """Return ``name`` if it is a safe store name, else raise :class:`StoreLayoutError` saying why."""
    if len(name) > 255 or not SAFE_NAME.fullmatch(name):
        raise StoreLayoutError(
            f"{what} name {name!r} at {where} is not usable in URLs and folder names: use only letters, "
            "digits, '_', '-' and '.', not starting with '.'",
            path=str(where),
        )
    return name


def discover_shards(root: Path) -> tuple[StoreShard, ...]:
    """Every shard under ``root``, sorted by config, sequence and index.

    Hidden entries (starting with '.') are skipped, as are files that are not shards (a URL JSON
    kept in the root, ``.part`` leftovers); a shard whose real path lies outside ``root`` (a
    symlink) is refused because the server would refuse to serve it.

    Raises:
        StoreLayoutError: ``root`` is not a folder, holds no shard, or a name is unusable.
        StoreError: a shard links outside ``root``.
    """
    if not root.is_dir():
        raise StoreLayoutError(f"store root {root} is not a folder", path=str(root))
    real_root = root.resolve()
    shards: list[StoreShard] = []
    for config_dir in _visible_dirs(root):
        config = check_name(config_dir.name, what="config", where=config_dir)
        for sequence_dir in _visible_dirs(config_dir):
            sequence = check_name(sequence_dir.name, what="sequence", where=sequence_dir)
            found = _sequence_shards(config, sequence, sequence_dir, real_root)
            if not found:
                _log.warning("no shards-NNNN.tar in %s; skipping it", sequence_dir)
            shards.extend(found)
    if not shards:
        raise StoreLayoutError(
            f"no shards found under {root}: expected files {root}/<config>/<sequence>/shards-NNNN.tar",
            path=str(root),
        )
    return tuple(sorted(shards))


def _visible_dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _sequence_shards(config: str, sequence: str, folder: Path, real_root: Path) -> list[StoreShard]:
    shards: list[StoreShard] = []
    for path in sorted(folder.iterdir()):
        match = SHARD_NAME.fullmatch(path.name)
        if match is None or not path.is_file():
            if path.suffix == ".tar" and not path.name.startswith("."):
                _log.warning("%s is not named shards-NNNN.tar; it is not published", path)
            continue
        if not path.resolve().is_relative_to(real_root):
            raise StoreError(
                f"shard {path} is a link to {path.resolve()}, outside the store root {real_root}; "
                "the server only serves files inside the root: copy the shard in instead",
                path=str(path),
            )
        shards.append(StoreShard(config, sequence, int(match.group(1)), path))
    indices = [shard.index for shard in shards]
    if indices and indices != list(range(len(indices))):
        # Not fatal (a sequence may have lost a shard on purpose), but usually a mistake.
        _log.warning("shards of %s are not numbered 0..%d: %s", folder, len(indices) - 1, indices)
    return shards
