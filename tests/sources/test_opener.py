"""The one shard opener: local files, the cache (never fetched again), read-ahead streams, HTTP."""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

import pytest

from atek_store.errors import TransferError, TruncatedShardError, UsageError
from atek_store.format import iter_shard
from atek_store.sources import ShardCache, ShardOpener
from tests.fault_server import FaultServer

EFM = "adt_efm_short/shards-0000.tar"


class _Claims:
    """A read-ahead that holds some shards' bytes and records what was asked of it."""

    def __init__(self, streams: dict[str, bytes]) -> None:
        self.streams = streams
        self.asked: list[str] = []

    def claim(self, url: str) -> BinaryIO | None:
        self.asked.append(url)
        data = self.streams.pop(url, None)
        return io.BytesIO(data) if data is not None else None


class _Failing(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def readinto(self, buffer: object) -> int:
        raise OSError(5, "Input/output error")


def test_samples_carry_url_and_local_path_right_after_the_key(golden_dir: Path) -> None:
    path = golden_dir / "wds" / EFM
    for source in (path, str(path), f"file://{path}"):
        samples = list(iter_shard(source))
        assert len(samples) == 2
        for sample in samples:
            assert list(sample)[:3] == ["__key__", "__url__", "__local_path__"]
            assert sample["__url__"] == str(source)
            assert sample["__local_path__"] == str(path)


def test_a_streamed_shard_has_its_url_as_given_and_no_local_path(
    golden_dir: Path, fault_server: FaultServer
) -> None:
    url = f"{fault_server.mount(golden_dir / 'wds')}/{EFM}?Expires=1&Signature=abc"
    with ShardOpener() as opener:
        items = list(opener.samples(url))
    assert [item.origin.url for item in items] == [url, url]
    assert items[0].origin is items[1].origin  # one origin per shard, its name computed once
    assert "abc" not in items[0].origin.name
    assert items[0].origin.sample_keys == {"__url__": url}


def test_a_cached_shard_is_never_fetched_nor_claimed(
    golden_dir: Path, tmp_path: Path, fault_server: FaultServer
) -> None:
    url = f"{fault_server.mount(golden_dir / 'wds')}/{EFM}?Signature=abc"
    cache = ShardCache(tmp_path / "cache")
    entry = cache.writer(url)
    assert entry is not None
    entry.write((golden_dir / "wds" / EFM).read_bytes())
    entry.commit()
    claims = _Claims({url: b"not used"})
    with ShardOpener(cache=cache, prefetched=claims) as opener:
        assert len(list(opener.samples(url))) == 2
    assert claims.asked == []
    assert fault_server.requested_paths() == []


def test_a_prefetched_stream_is_read_instead_of_fetching_and_enters_the_cache(
    golden_dir: Path, tmp_path: Path, refused_url: str
) -> None:
    url = refused_url
    cache = ShardCache(tmp_path / "cache")
    claims = _Claims({url: (golden_dir / "wds" / EFM).read_bytes()})
    with ShardOpener(cache=cache, prefetched=claims) as opener:
        assert [s.raw.key for s in opener.samples(url)] == [
            "_AtekDataSample_000000",
            "_AtekDataSample_000001",
        ]
        assert len(list(opener.samples(url))) == 2  # now from the cache: not claimed, not fetched
    assert claims.asked == [url]
    cached = cache.lookup(url)
    assert cached is not None
    assert cached.read_bytes() == (golden_dir / "wds" / EFM).read_bytes()


def test_a_local_shard_the_read_ahead_does_not_hold_is_read_from_disk(golden_dir: Path) -> None:
    path = str(golden_dir / "wds" / EFM)
    claims = _Claims({})
    with ShardOpener(prefetched=claims) as opener:
        items = list(opener.samples(path))
    assert claims.asked == [path]
    assert items[0].origin.local_path == path


def test_a_shard_read_in_part_leaves_nothing_in_the_cache(golden_dir: Path, tmp_path: Path) -> None:
    cache = ShardCache(tmp_path / "cache")
    data = (golden_dir / "wds" / EFM).read_bytes()
    url = "http://h.invalid/x.tar"
    cut = _Claims({url: data[: len(data) // 2]})
    with (
        ShardOpener(cache=cache, prefetched=cut) as opener,
        pytest.raises(TruncatedShardError, match="h.invalid"),
    ):
        list(opener.samples(url))
    with ShardOpener(cache=cache, prefetched=_Claims({url: data})) as opener:
        next(iter(opener.samples(url)))  # stops after the first sample
    assert [
        p.name for p in (tmp_path / "cache").rglob("*") if p.is_file() and p.name != ".atek-cache.lock"
    ] == []


def test_unreadable_shards_are_transfer_errors_and_bad_schemes_usage_errors(tmp_path: Path) -> None:
    with ShardOpener() as opener:
        with pytest.raises(TransferError, match="missing.tar"):
            list(opener.samples(str(tmp_path / "missing.tar")))
        with pytest.raises(TransferError, match="cannot open shard"):
            list(opener.samples(tmp_path))
        with pytest.raises(UsageError, match="scheme 'ftp'"):
            list(opener.samples("ftp://x/y.tar"))


def test_a_url_with_a_bad_port_is_a_transfer_error_with_a_cache_too(tmp_path: Path) -> None:
    with ShardOpener(cache=ShardCache(tmp_path)) as opener, pytest.raises(TransferError, match="h:abc"):
        list(opener.samples("http://h:abc/x.tar"))


def test_a_read_error_mid_shard_is_a_transfer_error_naming_it() -> None:
    url = "http://h.invalid/x.tar?Signature=abc"

    class FailingClaims:
        def claim(self, url: str) -> BinaryIO:
            return io.BufferedReader(_Failing())  # type: ignore[return-value]

    failing = pytest.raises(TransferError, match="Input/output error")
    with ShardOpener(prefetched=FailingClaims()) as opener, failing as caught:
        list(opener.samples(url))
    assert "abc" not in str(caught.value)
