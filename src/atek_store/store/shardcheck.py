"""Read a shard once: its SHA-1, its size, and proof that it is a complete, readable ATEK shard.

The bytes go to SHA-1 and to the :class:`TarWalker` in the same pass. After the tar structure,
each member's content gets a cheap check by extension: ``.pth`` members are ``torch.save`` zip
archives, JPEGs start with SOI and end with EOI, ``.json`` parses and ``.txt`` is UTF-8; a shard
must hold at least one sample (members named ``<key>.<field>``). Full decoding is the loader's job.
Many shards are checked in parallel on threads: ``hashlib`` and file reads release the GIL.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from atek_store.errors import FormatError, StoreError
from atek_store.store.tarwalk import TarMember, TarWalker

__all__ = ["ShardDigest", "check_member", "digest_shard", "digest_shards"]

CHUNK = 1 << 20
# Text members are kept whole for their check, up to this size (gt_data JSON is a few KiB).
_MAX_KEPT = 64 << 20
_TEXT_EXTENSIONS = (".json", ".txt")


@dataclass(frozen=True)
class ShardDigest:
    """What publishing needs to know about one shard file."""

    path: Path
    size: int
    sha1: str
    members: int
    samples: int


def _keep_text(name: str, size: int) -> bool:
    return name.lower().endswith(_TEXT_EXTENSIONS) and size <= _MAX_KEPT


def check_member(member: TarMember, *, shard: str) -> None:
    """Check one member's content by its extension.

    Raises:
        FormatError: the content does not match what the extension promises.
    """
    lower = member.name.lower()

    def fail(what: str) -> FormatError:
        return FormatError(f"member content is not {what}", shard=shard, member=member.name)

    if lower.endswith((".pth", ".pt")):
        if not member.head.startswith(b"PK\x03\x04"):
            raise fail("a torch.save zip archive")
    elif lower.endswith((".jpeg", ".jpg")):
        if not member.head.startswith(b"\xff\xd8\xff") or b"\xff\xd9" not in member.tail:
            raise fail("a complete JPEG (start or end marker missing)")
    elif lower.endswith(_TEXT_EXTENSIONS) and member.data is not None:
        try:
            text = member.data.decode("utf-8")
            if lower.endswith(".json"):
                json.loads(text)
        except (UnicodeDecodeError, ValueError):
            raise fail("valid UTF-8 JSON" if lower.endswith(".json") else "UTF-8 text") from None


def _sample_key(name: str) -> str | None:
    # WebDataset groups members by the part of the name before the first '.' of the base name.
    directory, _, base = name.rpartition("/")
    key, dot, _ = base.partition(".")
    return f"{directory}/{key}" if dot and key else None


def digest_shard(path: Path, *, chunk_size: int = CHUNK) -> ShardDigest:
    """Hash and check one shard, reading it exactly once.

    Raises:
        FormatError: the file is not a complete, readable shard (``TruncatedShardError`` when cut short).
        StoreError: the file changed size while it was read.
    """
    sha1 = hashlib.sha1(usedforsecurity=False)
    walker = TarWalker(shard=str(path), keep_data=_keep_text)
    buffer = bytearray(chunk_size)
    view = memoryview(buffer)
    size = 0
    try:
        with path.open("rb", buffering=0) as file:
            expected = os.fstat(file.fileno()).st_size
            while count := file.readinto(buffer):
                sha1.update(view[:count])
                walker.feed(view[:count])
                size += count
    except OSError as error:
        raise StoreError(f"cannot read shard {path}: {error.strerror or error}", path=str(path)) from error
    if size != expected:
        raise StoreError(f"shard {path} changed size while being read ({expected} -> {size})", path=str(path))
    members = walker.finish()
    for member in members:
        check_member(member, shard=str(path))
    samples = {key for key in map(_sample_key, (m.name for m in members)) if key is not None}
    if not samples:
        raise FormatError(
            "the tar holds no samples (no member named <key>.<field>.<extension>)", shard=str(path)
        )
    return ShardDigest(
        path=path, size=size, sha1=sha1.hexdigest(), members=len(members), samples=len(samples)
    )


def digest_shards(
    paths: Sequence[Path],
    *,
    workers: int | None = None,
    progress: Callable[[ShardDigest], None] | None = None,
) -> list[ShardDigest]:
    """Digest many shards on a thread pool; results in the order of ``paths``.

    Every shard is checked even when some fail, so that one run names every bad shard.

    Raises:
        FormatError: one or more shards are bad; the message lists each of them.
    """
    threads = workers or min(8, (os.cpu_count() or 1) + 2)
    results: list[ShardDigest | None] = [None] * len(paths)
    failed: dict[int, FormatError] = {}
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="atek-digest") as pool:
        futures = {pool.submit(digest_shard, path): i for i, path in enumerate(paths)}
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
            f"{len(failures)} of {len(paths)} shards are not complete, readable shards:\n  {listing}",
            shard=failures[0].fields.get("shard"),
            failures=[str(error) for error in failures],
        )
    return [digest for digest in results if digest is not None]
