"""Read the samples of one shard named by the user: a local path or an http(s) URL (streamed, never stored).

Inspecting or rendering one sample of a remote shard should not need a download step: the shard
is read front to back through the one shard source (:class:`atek_store.sources.ShardOpener`), and
reading stops as soon as the wanted sample is decoded. A path that is missing or a folder is a
usage error here (the user typed it), not a failed transfer.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atek_store.errors import UsageError
from atek_store.format.limits import ReadLimits, read_limits
from atek_store.format.shard import decode_source_sample, iter_shard
from atek_store.sources import ShardOpener, ShardOrigin

if TYPE_CHECKING:
    from atek_store.http import HttpOptions

__all__ = ["iter_shard_samples", "read_sample"]


def _named_shard(source: str | os.PathLike[str]) -> ShardOrigin:
    origin = ShardOrigin.of(source)
    if origin.local_path is not None:
        path = Path(origin.local_path)
        if path.is_dir():
            raise UsageError(f"{path} is a folder; give one shard (a .tar file) or its URL", path=str(path))
        if not path.exists():
            raise UsageError(f"no such shard file: {path}", path=str(path))
    return origin


def iter_shard_samples(
    source: str | os.PathLike[str],
    *,
    wanted: frozenset[str] | None = None,
    http_options: HttpOptions | None = None,
    limits: ReadLimits | None = None,
) -> Iterator[dict[str, Any]]:
    """The decoded samples of a shard (path or URL), each with ``__key__`` and ``__url__``.

    Raises:
        UsageError: the path is missing or a folder, or the URL's scheme is not supported.
        FormatError: the shard is corrupt, truncated or over a ceiling of ``limits``.
        TransferError: the shard cannot be fetched (``UrlsExpiredError`` for 401/403).
    """
    _named_shard(source)
    yield from iter_shard(source, wanted=wanted, limits=limits, http_options=http_options)


def read_sample(
    source: str | os.PathLike[str],
    index: int,
    *,
    http_options: HttpOptions | None = None,
    limits: ReadLimits | None = None,
) -> dict[str, Any]:
    """Sample number ``index`` (0-based, in tar order) of a shard; only that sample is decoded.

    Raises:
        UsageError: the index is negative or the shard has fewer samples (and see
            :func:`iter_shard_samples`).
    """
    if index < 0:
        raise UsageError(f"sample index must be >= 0, got {index}", flag="--sample")
    origin = _named_shard(source)
    limits = read_limits(limits)
    count = 0
    with ShardOpener(http_options=http_options, limits=limits) as opener:
        for item in opener.samples(origin):
            if count == index:
                return decode_source_sample(item, limits=limits)
            count += 1
    raise UsageError(
        f"{origin.name} has {count} sample{'s' if count != 1 else ''}; sample {index} does not exist "
        f"(samples are numbered from 0)",
        flag="--sample",
    )
