"""Read the samples of one shard given as a local path or an http(s) URL (streamed, never stored).

Inspecting or rendering one sample of a remote shard should not need a download step: the tar is
read front to back from the HTTP response, and reading stops as soon as the wanted sample is
decoded.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import urlsplit, urlunsplit

import urllib3

from atek_store.errors import TransferError, UrlsExpiredError, UsageError
from atek_store.format import decode_sample, iter_raw_samples

__all__ = ["HttpTimeouts", "is_url", "iter_shard_samples", "open_shard", "read_sample", "redact_url"]


@dataclass(frozen=True)
class HttpTimeouts:
    """Seconds to wait for a connection and between bytes of the response."""

    connect: float = 10.0
    read: float = 60.0


def is_url(source: str | os.PathLike[str]) -> bool:
    """Whether ``source`` is an http(s) URL rather than a path."""
    return isinstance(source, str) and source.lower().startswith(("http://", "https://"))


def redact_url(url: str) -> str:
    """The URL without its query (signed URLs carry credentials there) for messages."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "...", "")) if parts.query else url


class _ResponseReader:
    """A urllib3 response read like a file; network failures become TransferErrors naming the URL."""

    def __init__(self, response: urllib3.BaseHTTPResponse, url: str) -> None:
        self._response = response
        self._url = url
        self.name = url

    def read(self, size: int = -1) -> bytes:
        try:
            return self._response.read(None if size < 0 else size)
        except urllib3.exceptions.HTTPError as error:
            raise TransferError(f"reading {redact_url(self._url)} failed: {error}", url=self._url) from error


@contextmanager
def _open_url(url: str, timeouts: HttpTimeouts) -> Iterator[BinaryIO]:
    pool = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=timeouts.connect, read=timeouts.read),
        retries=urllib3.Retry(total=3, connect=3, read=0, status=0, redirect=5, backoff_factor=0.2),
    )
    try:
        response = pool.request("GET", url, preload_content=False)
    except urllib3.exceptions.HTTPError as error:
        raise TransferError(f"could not reach {redact_url(url)}: {error}", url=url) from error
    try:
        if response.status in (401, 403):
            raise UrlsExpiredError(
                f"{redact_url(url)} was refused (HTTP {response.status}): signed URLs expire; "
                "download a fresh URL JSON",
                url=url,
                status=response.status,
            )
        if response.status != 200:
            raise TransferError(
                f"{redact_url(url)} answered HTTP {response.status}", url=url, status=response.status
            )
        # The tar reader only calls read(size).
        yield cast(BinaryIO, _ResponseReader(response, url))
    finally:
        # Closing (not releasing) the connection: the body may be only partly read.
        response.close()
        pool.clear()


@contextmanager
def open_shard(
    source: str | os.PathLike[str], *, timeouts: HttpTimeouts | None = None
) -> Iterator[tuple[BinaryIO, str]]:
    """Open a shard for reading front to back: ``(stream, name for __url__ and messages)``.

    Raises:
        FileNotFoundError: a local path does not exist.
        UsageError: a local path is a folder.
        UrlsExpiredError: the server answered 401/403.
        TransferError: the server could not be reached or answered another error.
    """
    if is_url(source):
        with _open_url(str(source), timeouts or HttpTimeouts()) as stream:
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
    timeouts: HttpTimeouts | None = None,
) -> Iterator[dict[str, Any]]:
    """The decoded samples of a shard (path or URL), each with ``__key__`` and ``__url__``."""
    with open_shard(source, timeouts=timeouts) as (stream, name):
        for raw in iter_raw_samples(stream, shard=name):
            yield {"__url__": name, **decode_sample(raw.key, raw.members, shard=name, wanted=wanted)}


def read_sample(
    source: str | os.PathLike[str], index: int, *, timeouts: HttpTimeouts | None = None
) -> dict[str, Any]:
    """Sample number ``index`` (0-based, in tar order) of a shard; only that sample is decoded.

    Raises:
        UsageError: the index is negative or the shard has fewer samples.
    """
    if index < 0:
        raise UsageError(f"sample index must be >= 0, got {index}")
    with open_shard(source, timeouts=timeouts) as (stream, name):
        count = 0
        for raw in iter_raw_samples(stream, shard=name):
            if count == index:
                return {"__url__": name, **decode_sample(raw.key, raw.members, shard=name)}
            count += 1
    raise UsageError(
        f"{redact_url(name)} has {count} sample{'s' if count != 1 else ''}; sample {index} does not exist "
        f"(samples are numbered from 0)"
    )
