"""The datasets a store folder hosts, with every shard's size and SHA-1, for the front's pages and JSONs.

A store folder holds one dataset (``ROOT/<config>/<sequence>/shards-NNNN.tar``) or several side by
side (``ROOT/<Dataset>/<config>/...``, each with a ``dataset.yaml``). ``dataset.yaml`` is optional
for a single dataset (the folder's name is then its name) and may say::

    name: AriaDigitalTwin
    release_version: "2.0"
    description: |
      Real indoor recordings ...
    licence: |            # or licence_file: LICENSE.txt (beside dataset.yaml)
      ...
    preprocess_configs:   # optional; default <name>_<config>_config.yaml beside dataset.yaml
      cubercnn: AriaDigitalTwin_cubercnn_config.yaml

SHA-1s are computed once and kept in the state folder's ``index.json`` (keyed by path, size and
modification time), so a restart reads only new or changed shards.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from atek_store.atomic import atomic_write_text
from atek_store.errors import StoreError, StoreLayoutError
from atek_store.store.layout import SAFE_NAME, StoreShard, check_name, discover_shards

__all__ = [
    "DATASET_FILE",
    "RESERVED_NAMES",
    "HostedConfig",
    "HostedDataset",
    "HostedSequence",
    "HostedShard",
    "HostedStore",
    "load_hosted_store",
]

_log = logging.getLogger(__name__)

DATASET_FILE = "dataset.yaml"
INDEX_FILE = "index.json"
#: First URL segments the front's pages use; no dataset or (single-dataset) config may be named so.
RESERVED_NAMES = frozenset({"access", "datasets", "static"})
_MAX_TEXT = 200_000
_NO_LICENCE = "The publisher of this store has not stated licence terms."


@dataclass(frozen=True)
class HostedShard:
    """One shard: where it is, its URL path below the served root, size and SHA-1."""

    shard: StoreShard
    relpath: str
    size: int
    sha1: str


@dataclass(frozen=True)
class HostedSequence:
    """A sequence of one configuration and its shards."""

    name: str
    shards: tuple[HostedShard, ...]

    @property
    def size(self) -> int:
        """Bytes of all its shards."""
        return sum(shard.size for shard in self.shards)


@dataclass(frozen=True)
class HostedConfig:
    """A preprocessing configuration of a dataset and its sequences."""

    name: str
    sequences: tuple[HostedSequence, ...]
    preprocess_config: Path | None

    @property
    def shards(self) -> tuple[HostedShard, ...]:
        """Every shard of the configuration."""
        return tuple(shard for sequence in self.sequences for shard in sequence.shards)

    @property
    def size(self) -> int:
        """Bytes of all its shards."""
        return sum(sequence.size for sequence in self.sequences)

    def sequence(self, name: str) -> HostedSequence | None:
        """The sequence of that name, or None."""
        return next((sequence for sequence in self.sequences if sequence.name == name), None)


@dataclass(frozen=True)
class HostedDataset:
    """A dataset of the store: its texts and configurations."""

    name: str
    folder: Path
    release_version: str
    description: str
    licence: str
    configs: tuple[HostedConfig, ...]

    def config(self, name: str) -> HostedConfig | None:
        """The configuration of that name, or None."""
        return next((config for config in self.configs if config.name == name), None)

    @property
    def shards(self) -> tuple[HostedShard, ...]:
        """Every shard of every configuration."""
        return tuple(shard for config in self.configs for shard in config.shards)


@dataclass(frozen=True)
class HostedStore:
    """Everything the served folder hosts."""

    root: Path
    datasets: tuple[HostedDataset, ...]

    def dataset(self, name: str) -> HostedDataset | None:
        """The dataset of that name, or None."""
        return next((dataset for dataset in self.datasets if dataset.name == name), None)


def _text(value: Any, *, key: str, where: Path) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise StoreLayoutError(f"{where}: {key} must be text", path=str(where))
    return str(value)[:_MAX_TEXT]


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")[:_MAX_TEXT]) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise StoreError(f"cannot read {path}: {error}", path=str(path)) from error
    if not isinstance(data, dict):
        raise StoreLayoutError(
            f"{path} must hold a mapping (name:, description:, licence: ...)", path=str(path)
        )
    return data


def _dataset_folders(root: Path) -> list[tuple[Path, str]]:
    """(folder, URL prefix) of each dataset under ``root``."""
    if (root / DATASET_FILE).is_file():
        return [(root, "")]
    nested = sorted(p for p in root.iterdir() if p.is_dir() and (p / DATASET_FILE).is_file())
    if nested:
        return [(folder, f"{folder.name}/") for folder in nested]
    return [(root, "")]


def _describe(folder: Path) -> dict[str, Any]:
    path = folder / DATASET_FILE
    data = _read_yaml(path) if path.is_file() else {}
    name = _text(data.get("name"), key="name", where=path) or folder.resolve().name
    if not SAFE_NAME.fullmatch(name) or name in RESERVED_NAMES:
        raise StoreLayoutError(
            f"dataset name {name!r} (from {path if path.is_file() else folder}) must use only letters, "
            f"digits, '_', '-' and '.' and not be one of {', '.join(sorted(RESERVED_NAMES))}: "
            f"set name: in {path}",
            path=str(path),
        )
    licence = _text(data.get("licence"), key="licence", where=path)
    if "licence_file" in data:
        licence_path = folder / _text(data["licence_file"], key="licence_file", where=path)
        try:
            licence = licence_path.read_text(encoding="utf-8")[:_MAX_TEXT]
        except (OSError, UnicodeDecodeError) as error:
            raise StoreError(
                f"cannot read the licence file {licence_path}: {error}", path=str(licence_path)
            ) from error
    configs = data.get("preprocess_configs") or {}
    if not isinstance(configs, dict):
        raise StoreLayoutError(f"{path}: preprocess_configs must map config names to files", path=str(path))
    return {
        "name": name,
        "release_version": _text(data.get("release_version"), key="release_version", where=path),
        "description": _text(data.get("description"), key="description", where=path),
        "licence": licence.strip() or _NO_LICENCE,
        "configs": {
            str(k): folder / _text(v, key=f"preprocess_configs.{k}", where=path) for k, v in configs.items()
        },
    }


class _Index:
    """SHA-1s by (relpath, size, mtime), read from and written back to the state folder."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._entries: dict[str, list[Any]] = {}
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                self._entries = {k: v for k, v in loaded.items() if isinstance(v, list) and len(v) == 3}
        except (OSError, ValueError):
            pass  # no index yet, or a damaged one: recompute

    def lookup(self, relpath: str, info: os.stat_result) -> str | None:
        entry = self._entries.get(relpath)
        if entry and entry[0] == info.st_size and entry[1] == info.st_mtime_ns:
            return str(entry[2])
        return None

    def remember(self, relpath: str, info: os.stat_result, sha1: str) -> None:
        self._entries[relpath] = [info.st_size, info.st_mtime_ns, sha1]

    def save(self, keep: set[str]) -> None:
        kept = {k: v for k, v in sorted(self._entries.items()) if k in keep}
        atomic_write_text(self._path, json.dumps(kept, indent=0) + "\n")


def _sha1(path: Path) -> str:
    # The downloader's own hashing: one read of the file, in 1 MiB blocks.
    from atek_store.download.fetch import hash_file

    hasher, _ = hash_file(path)
    return hasher.hexdigest()


def load_hosted_store(
    root: Path, state_dir: Path, *, workers: int = 4, progress: Callable[[int, int], None] | None = None
) -> HostedStore:
    """Find the datasets under ``root`` and the size and SHA-1 of each shard (cached in ``state_dir``).

    Raises:
        StoreLayoutError: a dataset has no shards, a name is unusable or reserved, dataset.yaml is wrong.
        StoreError: a file cannot be read.
    """
    index = _Index(state_dir / INDEX_FILE)
    found: list[tuple[dict[str, Any], str, tuple[StoreShard, ...]]] = []
    for folder, prefix in _dataset_folders(root):
        described = _describe(folder)
        shards = discover_shards(folder)
        # The first segment of the shards' URLs: a dataset's folder, or (one dataset) its configs.
        first = {folder.name} if prefix else {shard.config for shard in shards}
        if prefix:
            check_name(folder.name, what="dataset folder", where=folder)
        clash = sorted(first & RESERVED_NAMES)
        if clash:
            raise StoreLayoutError(
                f"folder {root / clash[0]} has a name the store front's pages use: rename it",
                path=str(root / clash[0]),
            )
        found.append((described, prefix, shards))
    todo = [(prefix + shard.relpath, shard.path) for _, prefix, shards in found for shard in shards]
    stats = {relpath: path.stat() for relpath, path in todo}
    missing = [(relpath, path) for relpath, path in todo if index.lookup(relpath, stats[relpath]) is None]
    if missing:
        _log.info("computing the SHA-1 of %d new or changed shards (kept in %s)", len(missing), state_dir)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="atek-index") as pool:
        for done, (digest, (relpath, _)) in enumerate(
            zip(pool.map(_sha1, [p for _, p in missing]), missing, strict=True)
        ):
            index.remember(relpath, stats[relpath], digest)
            if progress is not None:
                progress(done + 1, len(missing))
    index.save({relpath for relpath, _ in todo})
    datasets = []
    for described, prefix, shards in found:
        datasets.append(_dataset(described, prefix, shards, index, stats))
    names = [dataset.name for dataset in datasets]
    if len(set(names)) != len(names):
        raise StoreLayoutError(
            f"two datasets under {root} have the same name: {sorted(names)}", path=str(root)
        )
    return HostedStore(root=root, datasets=tuple(datasets))


def _dataset(
    described: dict[str, Any],
    prefix: str,
    shards: tuple[StoreShard, ...],
    index: _Index,
    stats: dict[str, os.stat_result],
) -> HostedDataset:
    folder_configs: dict[str, dict[str, list[HostedShard]]] = {}
    for shard in shards:
        relpath = prefix + shard.relpath
        info = stats[relpath]
        hosted = HostedShard(
            shard=shard, relpath=relpath, size=info.st_size, sha1=index.lookup(relpath, info) or ""
        )
        folder_configs.setdefault(shard.config, {}).setdefault(shard.sequence, []).append(hosted)
    folder = shards[0].path.parents[2]
    configs = []
    for name, sequences in folder_configs.items():
        explicit = described["configs"].get(name)
        default = folder / f"{described['name']}_{name}_config.yaml"
        preprocess = explicit if explicit is not None else (default if default.is_file() else None)
        configs.append(
            HostedConfig(
                name=name,
                sequences=tuple(HostedSequence(seq, tuple(items)) for seq, items in sequences.items()),
                preprocess_config=preprocess,
            )
        )
    return HostedDataset(
        name=described["name"],
        folder=folder,
        release_version=described["release_version"],
        description=described["description"],
        licence=described["licence"],
        configs=tuple(configs),
    )
