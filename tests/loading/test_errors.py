"""Bad shards raise our errors naming shard and member; the opt-in handler skips and counts."""

from __future__ import annotations

import functools
import gc
import os
import tarfile
import warnings
from pathlib import Path

import pytest

from atek_store import create_native_atek_dataloader, load_atek_wds_dataset
from atek_store.errors import (
    FormatError,
    ImageDecodeError,
    SkippedSampleWarning,
    TransferError,
    TruncatedShardError,
    UsageError,
)


def _member_offset(shard: Path, suffix: str, index: int = 0) -> tuple[str, int, int]:
    with tarfile.open(shard) as tar:
        members = [m for m in tar.getmembers() if m.name.endswith(suffix)]
        member = members[index]
        return member.name, member.offset_data, member.size


def broken_jpeg_shard(source: str, out: Path) -> tuple[Path, str]:
    """A copy of ``source`` whose second sample's JPEG no longer starts with the JPEG marker."""
    name, offset, _ = _member_offset(Path(source), ".jpeg", index=1)
    data = bytearray(Path(source).read_bytes())
    data[offset : offset + 2] = b"\0\0"
    out.write_bytes(bytes(data))
    return out, name


def truncated_shard(source: str, out: Path) -> tuple[Path, str]:
    """A copy of ``source`` cut inside the data of its second sample's JPEG."""
    name, offset, size = _member_offset(Path(source), ".jpeg", index=1)
    out.write_bytes(Path(source).read_bytes()[: offset + size // 2])
    return out, name


@pytest.mark.parametrize("num_workers", [0, 2])
def test_a_truncated_shard_raises_naming_shard_and_member(
    small_urls: list[str], tmp_path: Path, num_workers: int
) -> None:
    bad, member = truncated_shard(small_urls[0], tmp_path / "cut.tar")
    loader = create_native_atek_dataloader([str(bad), *small_urls[1:3]], num_workers=num_workers)
    with pytest.raises(TruncatedShardError) as info:
        list(loader)
    assert str(bad) in str(info.value)
    assert member in str(info.value)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_an_undecodable_member_raises_naming_shard_and_member(
    small_urls: list[str], tmp_path: Path, num_workers: int
) -> None:
    bad, member = broken_jpeg_shard(small_urls[0], tmp_path / "bad.tar")
    with pytest.raises(ImageDecodeError) as info:
        list(create_native_atek_dataloader([str(bad), *small_urls[1:3]], num_workers=num_workers))
    assert str(bad) in str(info.value)
    assert member in str(info.value)


def test_warn_handler_skips_a_bad_sample_with_a_warning_and_counts_it(
    small_urls: list[str], tmp_path: Path
) -> None:
    bad, member = broken_jpeg_shard(small_urls[0], tmp_path / "bad.tar")
    dataset = load_atek_wds_dataset([str(bad), small_urls[1]], handler="warn")
    with pytest.warns(SkippedSampleWarning, match="skipped a bad sample") as caught:
        samples = list(dataset)
    assert len(caught) == 1
    assert member in str(caught[0].message)
    assert len(samples) == 3
    assert dataset.skipped.samples == 1
    assert dataset.skipped.shards == 0


def test_warn_handler_skips_the_unreadable_rest_of_a_truncated_shard(
    small_urls: list[str], tmp_path: Path
) -> None:
    bad, _ = truncated_shard(small_urls[0], tmp_path / "cut.tar")
    dataset = load_atek_wds_dataset([str(bad), small_urls[1], str(tmp_path / "missing.tar")], handler="warn")
    with pytest.warns(SkippedSampleWarning) as caught:
        samples = list(dataset)
    assert len(caught) == 2
    assert [s["__url__"] for s in samples] == [str(bad), small_urls[1], small_urls[1]]
    assert dataset.skipped.shards == 2


def test_skips_in_workers_are_counted_by_the_loader(small_urls: list[str], tmp_path: Path) -> None:
    bad1, _ = broken_jpeg_shard(small_urls[0], tmp_path / "bad1.tar")
    bad2, _ = broken_jpeg_shard(small_urls[1], tmp_path / "bad2.tar")
    loader = create_native_atek_dataloader(
        [str(bad1), str(bad2), *small_urls[2:4]], num_workers=2, handler="ignore"
    )
    assert len(list(loader)) == 6
    assert loader.skipped.samples == 2
    assert loader.progress().samples == {"shards": 8}


def test_a_callable_handler_decides(small_urls: list[str], tmp_path: Path) -> None:
    bad, _ = broken_jpeg_shard(small_urls[0], tmp_path / "bad.tar")
    seen: list[BaseException] = []

    def stop(error: BaseException) -> bool:
        seen.append(error)
        return False

    samples = list(load_atek_wds_dataset([str(bad), small_urls[1]], handler=stop))
    assert len(samples) == 1  # the first sample, then the reader stops
    assert isinstance(seen[0], FormatError)


def test_a_missing_local_shard_and_an_unknown_scheme_are_clear(small_urls: list[str], tmp_path: Path) -> None:
    with pytest.raises(TransferError, match="missing.tar"):
        list(load_atek_wds_dataset([str(tmp_path / "missing.tar")]))
    with pytest.raises(UsageError, match="scheme 's3'"):
        list(load_atek_wds_dataset(["s3://bucket/shards-0000.tar"]))


def test_good_shards_raise_no_warning(small_urls: list[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(list(load_atek_wds_dataset(small_urls[:2], handler="warn"))) == 4


def _note_pid(folder: str, worker_id: int) -> None:
    Path(folder, f"worker{worker_id}.pid").write_text(str(os.getpid()))


def test_an_error_from_a_worker_stops_every_worker_at_once(small_urls: list[str], tmp_path: Path) -> None:
    """The workers end with the error, not when a garbage collection finds the traceback's cycle."""
    bad, _ = truncated_shard(small_urls[0], tmp_path / "cut.tar")
    note = functools.partial(_note_pid, str(tmp_path))
    loader = create_native_atek_dataloader([str(bad), *small_urls[1:3]], num_workers=2, worker_init_fn=note)
    gc.disable()
    try:
        with pytest.raises(TruncatedShardError) as info:
            list(loader)
        pids = [int(path.read_text()) for path in sorted(tmp_path.glob("worker*.pid"))]
        assert len(pids) == 2
        for pid in pids:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)  # gone and reaped, while the error (and its traceback) is still held
        assert info.value.shard == str(bad)
    finally:
        gc.enable()
