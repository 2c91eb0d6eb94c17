"""The ``local_*_tars.yaml`` / ``streamable_*_tars.yaml`` shard lists: write and read.

Format (as the original writes it, PyYAML block style with sorted keys)::

    tars:
      seq_b:
      - seq_b/shards-0000.tar
      - seq_b/shards-0001.tar

Local lists hold paths relative to the YAML's folder; streamable lists hold the shards' URLs.
Written atomically; read back with :func:`load_yaml_and_extract_tar_list`.

A list may come from elsewhere, so reading it is bounded: the file size is capped before parsing,
the document is built from parser events with an explicit stack (no recursion, so deep nesting is
refused at :data:`MAX_DEPTH` levels instead of exhausting the interpreter's stack), and YAML
aliases are refused outright (neither this writer nor the original ever emits one, and an alias bomb
expands a few hundred bytes into gigabytes). Messages quote values through
:func:`~atek_store.untrusted.brief`.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import yaml

from atek_store.atomic import atomic_write_text
from atek_store.errors import ShardListError, UsageError
from atek_store.untrusted import MAX_INPUT_BYTES, brief, brief_name, brief_text, read_input_file

__all__ = [
    "MAX_DEPTH",
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
# A shard list is three levels deep ({tars: {sequence: [entry]}}); a little room for extra keys.
MAX_DEPTH = 8
# The YAML 1.1 types safe_load builds; python/* and custom tags are refused, never interpreted.
_ALLOWED_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "seq", "map", "null", "bool", "int", "float", "timestamp", "binary")
) | {"!"}
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
_MAX_NUMBER_CHARS = 40
# libyaml's parser when PyYAML was built with it (fast); the pure-Python one otherwise. Both parse
# without recursion; only composing nodes recurses, and we build the document ourselves.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
    """Write the ``all`` / ``train`` / ``validation`` lists of one kind; ``all`` is train | validation.

    Each list is written on its own, so one that cannot be written (a full disk) does not stop the
    others; the first such ``OSError`` is raised once all three were tried.
    """
    everything = {**train, **validation}
    written: dict[str, Path] = {}
    failure: OSError | None = None
    for split, tars in (("all", everything), ("train", train), ("validation", validation)):
        try:
            written[split] = write_shard_list(shard_list_path(folder, local=local, split=split), tars)
        except OSError as error:
            failure = failure or error
    if failure is not None:
        raise failure
    return written


class _Mark(Protocol):
    """Where a parser event starts (PyYAML's and libyaml's marks both have these)."""

    line: int
    column: int


@dataclass
class _Open:
    """A mapping or sequence being built, and (for a mapping) the key waiting for its value."""

    container: dict[object, object] | list[object]
    key: object = None
    has_key: bool = False
    start: _Mark | None = field(default=None, repr=False)


class _Scalars:
    """Plain and quoted scalars to Python values, exactly as ``yaml.safe_load`` would build them."""

    def __init__(self) -> None:
        self._resolver = yaml.resolver.Resolver()
        self._constructor = yaml.constructor.SafeConstructor()

    def value(self, event: yaml.ScalarEvent) -> object:
        """The scalar's value; ``ValueError`` when it cannot be one (a number too long to convert)."""
        tag = event.tag
        if tag is None or tag == "!":
            tag = self._resolver.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
        if tag in _NUMBER_TAGS and len(event.value) > _MAX_NUMBER_CHARS:
            # Converting thousands of digits takes quadratic time; no shard list has such a number.
            raise ValueError(f"a number of {len(event.value):,} characters")
        # Marks only serve constructor error messages; ours carry the location already.
        node = yaml.ScalarNode(tag, event.value, style=event.style)
        return self._constructor.construct_object(node, deep=True)


def _build(events: Iterable[yaml.Event], path: Path) -> object:
    """The document of a YAML event stream, refusing aliases, odd tags, deep nesting and duplicates."""

    def refuse(message: str, mark: _Mark | None) -> ShardListError:
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        return ShardListError(f"{path}{where}: {message}", path=str(path))

    stack: list[_Open] = []
    documents: list[object] = []
    scalars = _Scalars()

    def add(value: object, mark: _Mark | None) -> None:
        if not stack:
            if documents:
                raise refuse("holds more than one YAML document; a shard list is one", mark)
            documents.append(value)
            return
        top = stack[-1]
        if isinstance(top.container, list):
            top.container.append(value)
        elif not top.has_key:
            if isinstance(value, dict | list) or not isinstance(value, Hashable):
                raise refuse("a mapping key must be a plain name", mark)
            if value in top.container:
                raise refuse(f"key {brief(value)} appears twice in one mapping", mark)
            top.key, top.has_key = value, True
        else:
            top.container[top.key] = value
            top.has_key = False

    for event in events:
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in _ALLOWED_TAGS:
            raise refuse(f"the YAML tag {brief(tag)} is not allowed in a shard list", event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            raise refuse(
                f"YAML alias *{brief(event.anchor)[1:-1]} refused: shard lists never use aliases (an alias "
                "can expand a small file into gigabytes)",
                event.start_mark,
            )
        if isinstance(event, yaml.ScalarEvent):
            try:
                value = scalars.value(event)
            except ValueError as error:
                raise refuse(
                    f"cannot read {brief(event.value)}: {brief_text(str(error))}", event.start_mark
                ) from None
            add(value, event.start_mark)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            if len(stack) >= MAX_DEPTH:
                raise refuse(f"nested deeper than {MAX_DEPTH} levels; a shard list has 3", event.start_mark)
            container: dict[object, object] | list[object] = (
                {} if isinstance(event, yaml.MappingStartEvent) else []
            )
            stack.append(_Open(container, start=event.start_mark))
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            done = stack.pop()
            add(done.container, done.start)
    return documents[0] if documents else None


def load_shard_list(yaml_path: str | Path, *, max_bytes: int = MAX_INPUT_BYTES) -> dict[str, list[str]]:
    """The raw ``{sequence: [entries]}`` of a shard list, in file order.

    Raises:
        ShardListError: the file is missing, too large, not YAML, uses aliases or deep nesting, or is
            not shaped ``{tars: {seq: [str]}}``.
    """
    path = Path(yaml_path)
    raw = read_input_file(
        path,
        what="shard list",
        fail=lambda message: ShardListError(message, path=str(path)),
        max_bytes=max_bytes,
    ).raw
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ShardListError(
            f"shard list {path} is not UTF-8 text (byte {error.start:,}: {error.reason})", path=str(path)
        ) from None
    try:
        data = _build(yaml.parse(text, Loader=_Loader), path)
    except yaml.YAMLError as error:
        raise ShardListError(f"{path} is not valid YAML: {brief_text(str(error))}", path=str(path)) from None
    if not isinstance(data, dict) or "tars" not in data:
        raise ShardListError(
            f"{path}: expected a mapping with a 'tars' key ({{tars: {{sequence: [shard, ...]}}}}), "
            f"got {'an empty file' if data is None else type(data).__name__}",
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
                f"{path}: tars.{brief_name(str(name))} must be a list of shard paths or URLs, "
                f"got {brief(entries)}",
                path=str(path),
                key=f"tars.{brief_name(str(name))}",
            )
        result[str(name)] = list(entries)
    return result


def _resolve(entry: str, folder: str, path: Path) -> str:
    if "://" not in entry:
        # A relative path is relative to the YAML's folder; an absolute one stays as it is.
        return os.path.join(folder, entry)
    try:
        parts = urlsplit(entry)
    except ValueError as error:
        raise ShardListError(
            f"{path}: entry {brief(entry)} is not a valid URL ({error})", path=str(path)
        ) from None
    scheme = parts.scheme.lower()
    if scheme in _KEPT_SCHEMES:
        return entry
    if scheme == "file":
        return unquote(parts.path)
    raise ShardListError(
        f"{path}: entry {brief(entry)} has an unsupported URL scheme {brief(scheme)} "
        "(expected a path, http or https)",
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
