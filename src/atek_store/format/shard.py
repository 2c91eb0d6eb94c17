"""Iterate the decoded samples of one tar shard."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from atek_store.format.decode import decode_sample
from atek_store.format.limits import ReadLimits, read_limits

if TYPE_CHECKING:
    from atek_store.http import HttpOptions
    from atek_store.sources import SourceSample

__all__ = ["decode_source_sample", "iter_shard"]


def decode_source_sample(
    item: SourceSample,
    *,
    wanted: frozenset[str] | None = None,
    channels_last: bool = False,
    limits: ReadLimits | None = None,
) -> dict[str, Any]:
    """Decode a sample read by the shard source, with the keys saying where it came from.

    ``wanted``, ``channels_last`` and ``limits`` are those of :func:`decode_sample`.
    """
    return decode_sample(
        item.raw.key,
        item.raw.members,
        shard=item.origin.name,
        wanted=wanted,
        channels_last=channels_last,
        limits=limits,
        origin_keys=item.origin.sample_keys,
    )


def iter_shard(
    source: str | os.PathLike[str] | BinaryIO,
    *,
    url: str | None = None,
    wanted: frozenset[str] | None = None,
    limits: ReadLimits | None = None,
    http_options: HttpOptions | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield the decoded samples of one shard, with ``__key__``, ``__url__`` (and ``__local_path__``).

    The keys are those of the original loader: ``__url__`` is the shard as given, ``__local_path__``
    the file of a local shard.

    Args:
        source: a path, a ``file://`` or ``http(s)://`` URL (streamed), or a binary file object
            positioned at the start of a tar.
        url: for a file object, what ``__url__`` says (default: its ``name``, else ``<stream>``).
        wanted: output keys to produce (others are not decoded); None for all.
        limits: the readers' ceilings (default: ``ReadLimits()`` with ``ATEK_STORE_READ_LIMITS``).
        http_options: timeouts and retries, for a URL.

    Raises:
        FormatError: the shard is truncated, corrupt or over a ceiling, or a member does not
            decode; the error names the shard and member.
        TransferError: the shard cannot be opened or fetched.
        UsageError: the URL's scheme is not supported.
    """
    limits = read_limits(limits)
    # Imported here: the shard source reads tars with this package's reader.
    from atek_store.sources import ShardOpener, ShardOrigin

    with ShardOpener(http_options=http_options, limits=limits) as opener:
        if isinstance(source, str | os.PathLike):
            items = opener.samples(source)
        else:
            origin = ShardOrigin.of_stream(str(url or getattr(source, "name", None) or "<stream>"))
            items = opener.stream_samples(source, origin)
        for item in items:
            yield decode_source_sample(item, wanted=wanted, limits=limits)
