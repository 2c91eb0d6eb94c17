"""The ``local_*_tars.yaml`` / ``streamable_*_tars.yaml`` shard lists: write and read.

Format (as the original writes it, PyYAML block style with sorted keys)::

    tars:
      seq_b:
      - seq_b/shards-0000.tar
      - seq_b/shards-0001.tar

Local lists hold paths relative to the YAML's folder; streamable lists hold the shards' URLs.
Written atomically; read back with :func:`load_yaml_and_extract_tar_list`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from atek_store.atomic import atomic_write_text
from atek_store.errors import ShardListError, UsageError

__all__ = [
    "SPLITS",
    "dump_shard_list",
    "load_shard_list",
    "load_yaml_and_extract_tar_list",
    "shard_list_path",
    "write_shard_list",
    "write_shard_lists",
]

SPLITS = ("all", "train", "validation")
_KEPT_SCHEMES = frozenset({"http", "https"})


def shard_list_path(folder: str | Path, *, local: bool, split: str) -> Path:
    """``<folder>/{local|streamable}_{split}_tars.yaml``."""
    if split not in SPLITS:
        raise UsageError(f"split must be one of {SPLITS}, got {split!r}", flag="split")
    return Path(folder) / f"{'local' if local else 'streamable'}_{split}_tars.yaml"


def dump_shard_list(tars: Mapping[str, Sequence[str]]) -> str:
    """The YAML text for ``{sequence: [entries]}``; sequences sorted, entries in the given order."""
    return yaml.safe_dump(
        {"tars": {name: list(entries) for name, entries in tars.items()}}, default_flow_style=False
    )


def write_shard_list(path: str | Path, tars: Mapping[str, Sequence[str]]) -> Path:
    """Write one shard list atomically; returns its path."""
    path = Path(path)
    atomic_write_text(path, dump_shard_list(tars))
    return path


def write_shard_lists(
    folder: str | Path,
    *,
    train: Mapping[str, Sequence[str]],
    validation: Mapping[str, Sequence[str]],
    local: bool,
) -> dict[str, Path]:
    """Write the ``all`` / ``train`` / ``validation`` lists of one kind; ``all`` is train | validation."""
    everything = {**train, **validation}
    return {
        split: write_shard_list(shard_list_path(folder, local=local, split=split), tars)
        for split, tars in (("all", everything), ("train", train), ("validation", validation))
    }


def load_shard_list(yaml_path: str | Path) -> dict[str, list[str]]:
    """The raw ``{sequence: [entries]}`` of a shard list, in file order.

    Raises:
        ShardListError: the file is missing, empty, not YAML, or not shaped ``{tars: {seq: [str]}}``.
    """
    path = Path(yaml_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ShardListError(f"shard list not found: {path}", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ShardListError(f"cannot read shard list {path}: {error}", path=str(path)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ShardListError(f"{path} is not valid YAML: {error}", path=str(path)) from None
    if not isinstance(data, dict) or "tars" not in data:
        raise ShardListError(
            f"{path}: expected a mapping with a 'tars' key ({{tars: {{sequence: [shard, ...]}}}}), "
            f"got {type(data).__name__}",
            path=str(path),
            key="tars",
        )
    tars = data["tars"]
    if tars is None:
        return {}
    if not isinstance(tars, dict):
        raise ShardListError(f"{path}: 'tars' must map sequence names to lists of shards", path=str(path))
    result: dict[str, list[str]] = {}
    for name, entries in tars.items():
        if entries is None:
            entries = []
        if not isinstance(entries, list) or not all(isinstance(entry, str) and entry for entry in entries):
            raise ShardListError(
                f"{path}: tars.{name} must be a list of shard paths or URLs, got {entries!r}",
                path=str(path),
                key=f"tars.{name}",
            )
        result[str(name)] = list(entries)
    return result


def _resolve(entry: str, folder: str, path: Path) -> str:
    if "://" not in entry:
        # A relative path is relative to the YAML's folder; an absolute one stays as it is.
        return os.path.join(folder, entry)
    scheme = urlsplit(entry).scheme.lower()
    if scheme in _KEPT_SCHEMES:
        return entry
    if scheme == "file":
        return unquote(urlsplit(entry).path)
    raise ShardListError(
        f"{path}: entry {entry!r} has an unsupported URL scheme {scheme!r} (expected a path, http or https)",
        path=str(path),
    )


def load_yaml_and_extract_tar_list(yaml_path: str | Path) -> list[str]:
    """Every shard of a shard list, ready to open: sequences in file order, shards in list order.

    Relative paths are joined onto the YAML's folder, ``http``/``https`` URLs are kept as they are
    and ``file://`` URLs become paths.

    Raises:
        ShardListError: the file is missing or malformed, or an entry has another URL scheme.
    """
    path = Path(yaml_path)
    folder = os.path.dirname(os.fspath(yaml_path))
    return [_resolve(entry, folder, path) for entries in load_shard_list(path).values() for entry in entries]
