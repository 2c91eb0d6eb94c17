"""Iterate the decoded samples of one tar shard."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from atek_store.format.decode import decode_sample
from atek_store.format.tario import iter_raw_samples

__all__ = ["iter_shard"]


def iter_shard(
    source: str | os.PathLike[str] | BinaryIO,
    *,
    url: str | None = None,
    wanted: frozenset[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield the decoded samples of one shard, each with ``__key__`` and ``__url__``.

    Args:
        source: a path to a ``.tar`` file, or a binary file object positioned at its start.
        url: what ``__url__`` says (defaults to the path, or ``<stream>`` for a file object).
        wanted: output keys to produce (others are not decoded); None for all.

    Raises:
        FormatError: the shard is truncated or corrupt, or a member does not decode; the error
            names the shard and member.
    """
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        name = url or str(path)
        with path.open("rb") as stream:
            for raw in iter_raw_samples(stream, shard=name):
                sample = decode_sample(raw.key, raw.members, shard=name, wanted=wanted)
                yield {"__url__": name, "__local_path__": str(path), **sample}
        return
    name = url or getattr(source, "name", None) or "<stream>"
    for raw in iter_raw_samples(source, shard=str(name)):
        sample = decode_sample(raw.key, raw.members, shard=str(name), wanted=wanted)
        yield {"__url__": str(name), **sample}
