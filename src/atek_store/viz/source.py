"""Read the samples of one shard given as a local path or an http(s) URL (streamed, never stored).

Inspecting or rendering one sample of a remote shard should not need a download step: the tar is
read front to back from the HTTP response (the loader's client: timeouts, retries, resume after
a dropped connection), and reading stops as soon as the wanted sample is decoded.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from atek_store.errors import UsageError
from atek_store.format import decode_sample, iter_raw_samples
from atek_store.http import HttpClient, HttpOptions, redact_url
from atek_store.loading.sources import is_remote

__all__ = ["iter_shard_samples", "open_shard", "read_sample"]


@contextmanager
def _open_url(url: str, http_options: HttpOptions | None) -> Iterator[BinaryIO]:
    client = HttpClient(http_options)
    try:
        with client.open(url) as stream:
            yield stream
    finally:
        client.close()


@contextmanager
def open_shard(
    source: str | os.PathLike[str], *, http_options: HttpOptions | None = None
) -> Iterator[tuple[BinaryIO, str]]:
    """Open a shard for reading front to back: ``(stream, name for __url__ and messages)``.

    Raises:
        FileNotFoundError: a local path does not exist.
        UsageError: a local path is a folder.
        UrlsExpiredError: the server answered 401/403.
        TransferError: the server could not be reached or answered another error.
    """
    if isinstance(source, str) and is_remote(source):
        with _open_url(str(source), http_options) as stream:
            yield stream, str(source)
        return
    path = Path(source)
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give one shard (a .tar file) or its URL")
    with path.open("rb") as stream:
        yield stream, str(path)


def iter_shard_samples(
    source: str | os.PathLike[str],
    *,
    wanted: frozenset[str] | None = None,
    http_options: HttpOptions | None = None,
) -> Iterator[dict[str, Any]]:
    """The decoded samples of a shard (path or URL), each with ``__key__`` and ``__url__``."""
    with open_shard(source, http_options=http_options) as (stream, name):
        for raw in iter_raw_samples(stream, shard=name):
            yield {"__url__": name, **decode_sample(raw.key, raw.members, shard=name, wanted=wanted)}


def read_sample(
    source: str | os.PathLike[str], index: int, *, http_options: HttpOptions | None = None
) -> dict[str, Any]:
    """Sample number ``index`` (0-based, in tar order) of a shard; only that sample is decoded.

    Raises:
        UsageError: the index is negative or the shard has fewer samples.
    """
    if index < 0:
        raise UsageError(f"sample index must be >= 0, got {index}")
    with open_shard(source, http_options=http_options) as (stream, name):
        count = 0
        for raw in iter_raw_samples(stream, shard=name):
            if count == index:
                return {"__url__": name, **decode_sample(raw.key, raw.members, shard=name)}
            count += 1
    raise UsageError(
        f"{redact_url(name)} has {count} sample{'s' if count != 1 else ''}; sample {index} does not exist "
        f"(samples are numbered from 0)"
    )
