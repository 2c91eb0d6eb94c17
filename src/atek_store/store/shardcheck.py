"""Read a shard once: its SHA-1, its size, and proof that it is a complete, readable ATEK shard.

The file is streamed through a reader that hashes every byte on its way to the tar reader,
which walks the tar (header checksums, PAX and GNU headers, truncation, the ceilings of
:class:`ReadLimits`); with ``check="full"`` every sample is decoded too (tensors, JPEGs, JSON,
text). Anything wrong raises a ``FormatError`` subclass that names the shard and member. After
the end-of-archive marker the rest of the file (the record padding) is hashed too and must be
zeros. Many shards are checked in parallel on threads: file reads, ``hashlib`` and JPEG decoding
release the GIL.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from atek_store.errors import FormatError, StoreError
from atek_store.format.limits import ReadLimits, read_limits

__all__ = ["CHECKS", "ShardDigest", "digest_shard", "digest_shards"]

CHUNK = 1 << 20
# "full": walk the tar and decode every sample; "tar": walk the tar and group samples only
# (no tensor or JPEG decoding; for very large stores where decoding everything takes too long).
CHECKS = ("full", "tar")


@dataclass(frozen=True)
class ShardDigest:
    """What publishing needs to know about one shard file."""

    path: Path
    size: int
    sha1: str
    samples: int


class _HashingReader(io.RawIOBase):
    """Pass reads through from a file while hashing and counting every byte."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self.sha1 = hashlib.sha1(usedforsecurity=False)
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._source.readinto(buffer)  # type: ignore[attr-defined]
        if count:
            view = memoryview(buffer)[:count]
            self.sha1.update(view)
            self.size += count
        return int(count or 0)


def digest_shard(
    path: Path, *, check: str = "full", chunk_size: int = CHUNK, limits: ReadLimits | None = None
) -> ShardDigest:
    """Hash, walk and (with ``check="full"``) decode one shard, reading the file exactly once.

    ``limits`` are the readers' ceilings (default: ``ReadLimits()`` with ``ATEK_STORE_READ_LIMITS``).

    Raises:
        FormatError: the file is not a complete, readable shard (``TruncatedShardError`` when cut
            short, ``ImageDecodeError`` for a bad JPEG, ...), or holds no sample.
        StoreError: the file cannot be read or changed size while it was read.
    """
    # Imported here, not at the top: decoding pulls in torch, which `import atek_store`, the server
    # and `publish --check tar` do not need (the tar reader is torch-free).
    from atek_store.format.tario import iter_raw_samples

    limits = read_limits(limits)
    shard = str(path)
    try:
        with path.open("rb", buffering=0) as raw:
            expected = os.fstat(raw.fileno()).st_size
            hashing = _HashingReader(raw)
            stream = io.BufferedReader(hashing, buffer_size=chunk_size)
            raws = iter_raw_samples(stream, shard=shard, limits=limits, length=expected)
            if check == "full":
                from atek_store.format.decode import decode_sample

                samples = sum(1 for r in raws if decode_sample(r.key, r.members, shard=shard, limits=limits))
            else:
                samples = sum(1 for _ in raws)
            # The reader stops at the end-of-archive marker; what follows is record padding.
            while rest := stream.read(chunk_size):
                if rest.count(0) != len(rest):
                    raise FormatError(
                        "non-zero bytes after the end-of-archive marker: not one well-formed tar",
                        shard=str(path),
                    )
    except OSError as error:
        raise StoreError(f"cannot read shard {path}: {error.strerror or error}", path=str(path)) from error
    if hashing.size != expected:
        raise StoreError(
            f"shard {path} changed size while being read ({expected} -> {hashing.size} bytes)", path=str(path)
        )
    if samples == 0:
        raise FormatError("the tar holds no samples (no member named <key>.<field>.<ext>)", shard=str(path))
    return ShardDigest(path=path, size=hashing.size, sha1=hashing.sha1.hexdigest(), samples=samples)


def digest_shards(
    paths: Sequence[Path],
    *,
    check: str = "full",
    workers: int | None = None,
    progress: Callable[[ShardDigest], None] | None = None,
    limits: ReadLimits | None = None,
) -> list[ShardDigest]:
    """Digest many shards on a thread pool; results in the order of ``paths``.

    Every shard is checked even when some fail, so that one run names every bad shard.

    Raises:
        FormatError: one or more shards are bad; the message lists each of them.
    """
    threads = workers or min(8, (os.cpu_count() or 1) + 2)
    limits = read_limits(limits)
    results: list[ShardDigest | None] = [None] * len(paths)
    failed: dict[int, FormatError] = {}
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="atek-digest") as pool:
        futures = {
            pool.submit(digest_shard, path, check=check, limits=limits): i for i, path in enumerate(paths)
        }
        for future in as_completed(futures):
            i = futures[future]
            try:
                digest = future.result()
            except FormatError as error:
                failed[i] = error
                continue
            results[i] = digest
            if progress is not None:
                progress(digest)
    failures = [failed[i] for i in sorted(failed)]
    if len(failures) == 1:
        raise failures[0]
    if failures:
        listing = "\n  ".join(str(error) for error in failures)
        raise FormatError(
            f"{len(failures)} of {len(paths)} shards are not complete, readable shards:\n  {listing}"
        )
    return [digest for digest in results if digest is not None]
