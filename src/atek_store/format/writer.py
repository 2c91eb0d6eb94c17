"""Write ATEK samples into WebDataset tar shards: ``shards-0000.tar``, ``shards-0001.tar``, ...

A shard is written under a hidden temporary name and renamed to its final name only once it is
complete, so a reader (or a crash) never sees half a shard. Tars are reproducible: fixed mtime,
owner and mode, members of a sample in sorted order. The writer returns a :class:`ShardRecord`
(size, sha1, sample count) per shard, which publishing reuses instead of re-reading the file.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from atek_store.errors import UsageError
from atek_store.format import keys as K
from atek_store.format.encode import encode_sample

__all__ = ["SHARD_PATTERN", "ShardRecord", "ShardWriter", "shard_name"]

SHARD_PATTERN = "shards-{index:04d}.tar"
_MTIME = 0
_MODE = 0o444


def shard_name(index: int) -> str:
    """File name of shard ``index`` (``shards-0007.tar``)."""
    return SHARD_PATTERN.format(index=index)


@dataclass(frozen=True)
class ShardRecord:
    """A finished shard: where it is, how many samples, its size and sha1."""

    path: Path
    samples: int
    first_key: str
    size: int
    sha1: str


class _HashingFile(io.RawIOBase):
    """Pass writes through to a file while hashing and counting them."""

    def __init__(self, target: BinaryIO) -> None:
        self._target = target
        self.sha1 = hashlib.sha1()  # noqa: S324 - sha1 is the store's published checksum, not security
        self.size = 0

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.size

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self._target.write(view)
        self.sha1.update(view)
        self.size += view.nbytes
        return view.nbytes


@dataclass
class _OpenShard:
    """The shard being written: its temporary file, the hashing pass-through, the tar stream."""

    index: int
    temp: Path
    file: BinaryIO
    hasher: _HashingFile
    tar: tarfile.TarFile
    count: int = 0
    first_key: str = ""


class ShardWriter:
    """Write samples into numbered tar shards of at most ``max_samples_per_shard`` samples.

    Args:
        folder: output folder, created if needed (lazily, at the first sample, like the original).
        prefix: ``prefix_string`` of the config; ``__key__ = <prefix>_AtekDataSample_<index>``.
        max_samples_per_shard: samples per shard before starting the next one.
        remove_last_tar_if_not_full: drop the final shard if it holds fewer samples than the maximum.
        max_shard_bytes: also start a new shard when the current one would exceed this size.
        start_index: running index of the first sample (keys keep counting across shards).
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        *,
        prefix: str = "",
        max_samples_per_shard: int = 32,
        remove_last_tar_if_not_full: bool = False,
        max_shard_bytes: int = 3_000_000_000,
        start_index: int = 0,
    ) -> None:
        if max_samples_per_shard < 1:
            raise UsageError(
                f"max_samples_per_shard must be >= 1, got {max_samples_per_shard}",
                flag="max_samples_per_shard",
            )
        K.sample_key(prefix, 0)  # validates the prefix
        self.folder = Path(folder)
        self.prefix = prefix
        self.max_samples_per_shard = max_samples_per_shard
        self.remove_last_tar_if_not_full = remove_last_tar_if_not_full
        self.max_shard_bytes = max_shard_bytes
        self.next_index = start_index
        self.records: list[ShardRecord] = []
        self._next_shard = 0
        self._open: _OpenShard | None = None
        self._closed = False

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def write(self, sample: Mapping[str, Any]) -> str:
        """Encode and append one sample; returns the ``__key__`` it was written under."""
        if self._closed:
            raise UsageError("ShardWriter is closed: open a new one to write more samples")
        members = encode_sample(sample)
        size = sum(len(data) + 1024 for data in members.values())
        shard = self._open
        if shard is not None and (
            shard.count >= self.max_samples_per_shard or shard.hasher.size + size > self.max_shard_bytes
        ):
            self._finish_shard(shard, keep=True)
            shard = None
        if shard is None:
            shard = self._open_shard()
        key = K.sample_key(self.prefix, self.next_index)
        for suffix in sorted(members):
            data = members[suffix]
            info = tarfile.TarInfo(f"{key}.{suffix}")
            info.size = len(data)
            info.mtime = _MTIME
            info.mode = _MODE
            shard.tar.addfile(info, io.BytesIO(data))
        if shard.count == 0:
            shard.first_key = key
        shard.count += 1
        self.next_index += 1
        return key

    def _open_shard(self) -> _OpenShard:
        self.folder.mkdir(parents=True, exist_ok=True)
        index = self._next_shard
        temp = self.folder / f".{shard_name(index)}.part"
        file = temp.open("wb")
        hasher = _HashingFile(file)
        tar = tarfile.TarFile(fileobj=hasher, mode="w", format=tarfile.PAX_FORMAT)
        self._open = _OpenShard(index, temp, file, hasher, tar)
        return self._open

    def _finish_shard(self, shard: _OpenShard, *, keep: bool) -> None:
        self._open = None
        shard.tar.close()
        shard.file.flush()
        os.fsync(shard.file.fileno())
        shard.file.close()
        if not keep:
            shard.temp.unlink()
            return
        final = self.folder / shard_name(shard.index)
        os.replace(shard.temp, final)
        self.records.append(
            ShardRecord(final, shard.count, shard.first_key, shard.hasher.size, shard.hasher.sha1.hexdigest())
        )
        self._next_shard += 1

    def close(self) -> list[ShardRecord]:
        """Finish the last shard (or drop it when partial and asked to); returns all shard records."""
        if not self._closed:
            self._closed = True
            shard = self._open
            if shard is not None:
                partial = shard.count < self.max_samples_per_shard
                self._finish_shard(shard, keep=not (partial and self.remove_last_tar_if_not_full))
        return list(self.records)

    def abort(self) -> None:
        """Stop writing and delete the unfinished shard; finished shards stay."""
        if self._open is not None:
            self._finish_shard(self._open, keep=False)
        self._closed = True
