"""Streaming from a real loopback HTTP server, the shard cache, and HTTP faults."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from atek_store import HttpOptions, create_native_atek_dataloader, load_atek_wds_dataset
from atek_store.errors import TransferError, UrlsExpiredError
from atek_store.loading import ShardCache
from tests.fault_server import Fault, FaultServer
from tests.golden import load_expected, sample_mismatches
from tests.loading.values import same, without_location

FAST_RETRY = HttpOptions(backoff=0.0, retries=3, read_timeout=10.0)


def _shard_paths(server: FaultServer) -> list[str]:
    return [path for path in server.requested_paths() if path.endswith(".tar")]


@pytest.mark.parametrize("num_workers", [0, 2])
def test_streaming_yields_the_same_samples_as_local_files(
    fault_server: FaultServer, small_store: Path, small_urls: list[str], num_workers: int
) -> None:
    urls = fault_server.publish(small_urls, small_store)
    local = list(create_native_atek_dataloader(small_urls, num_workers=num_workers))
    streamed = list(create_native_atek_dataloader(urls, num_workers=num_workers))
    assert len(streamed) == len(local) == 24
    for have, want in zip(streamed, local, strict=True):
        assert same(without_location(have), without_location(want))
        assert "__local_path__" not in have
    assert [s["__url__"] for s in streamed] == [urls[small_urls.index(s["__url__"])] for s in local]
    assert sorted(_shard_paths(fault_server)) == sorted(
        f"/{Path(u).relative_to(small_store)}" for u in small_urls
    )


def test_streamed_golden_shards_match_the_original_loader(
    fault_server: FaultServer, golden_dir: Path
) -> None:
    expected = load_expected(golden_dir / "expected_native.json")
    for name in ("adt_cubercnn", "adt_efm_short"):
        paths = [str(p) for p in sorted((golden_dir / "wds" / name).glob("*.tar"))]
        urls = fault_server.publish(paths, golden_dir / "wds")
        samples = list(create_native_atek_dataloader(urls))
        assert len(samples) == len(expected[name])
        for want, have in zip(expected[name], samples, strict=True):
            assert sample_mismatches(want, have) == []


@pytest.mark.parametrize("num_workers", [0, 2])
def test_second_epoch_comes_from_the_cache_without_http_requests(
    fault_server: FaultServer, small_store: Path, small_urls: list[str], tmp_path: Path, num_workers: int
) -> None:
    urls = fault_server.publish(small_urls, small_store)
    loader = create_native_atek_dataloader(
        urls, shuffle_flag=True, seed=4, num_workers=num_workers, cache_dir=tmp_path / "cache"
    )
    first = list(loader)
    assert len(_shard_paths(fault_server)) == len(urls)
    fault_server.clear_log()
    loader.set_epoch(1)
    second = list(loader)
    assert fault_server.requested_paths() == []
    key = lambda s: (s["__url__"], s["__key__"])  # noqa: E731
    assert sorted(map(key, second)) == sorted(map(key, first))
    by_key = {key(s): s for s in first}
    assert all(same(s, by_key[key(s)]) for s in second)


def test_cache_keys_by_full_path_so_equal_basenames_do_not_collide(
    fault_server: FaultServer, small_store: Path, small_urls: list[str], tmp_path: Path
) -> None:
    basenames = [u for u in small_urls if u.endswith("shards-0000.tar")]
    assert len(basenames) == 3
    urls = fault_server.publish(basenames, small_store)
    cache_dir = tmp_path / "cache"
    list(load_atek_wds_dataset(urls, cache_dir=cache_dir))
    cache = ShardCache(cache_dir)
    cached = [cache.path_for(url) for url in urls]
    assert len(set(cached)) == 3
    for url, path in zip(basenames, cached, strict=True):
        assert path.read_bytes() == Path(url).read_bytes()
    fault_server.clear_log()
    from_cache = list(load_atek_wds_dataset(urls, cache_dir=cache_dir))
    assert fault_server.requested_paths() == []
    local = list(load_atek_wds_dataset(basenames))
    assert all(same(without_location(a), without_location(b)) for a, b in zip(from_cache, local, strict=True))


def test_a_shard_read_in_part_is_never_cached(
    fault_server: FaultServer, small_store: Path, small_urls: list[str], tmp_path: Path
) -> None:
    urls = fault_server.publish(small_urls[:1], small_store)
    cache_dir = tmp_path / "cache"
    next(iter(load_atek_wds_dataset(urls, cache_dir=cache_dir)))
    assert [p for p in cache_dir.rglob("*") if p.is_file() and p.name != ".atek-cache.lock"] == []
    list(load_atek_wds_dataset(urls, cache_dir=cache_dir))
    assert ShardCache(cache_dir).lookup(urls[0]) is not None


def test_least_recently_used_shards_are_evicted_to_respect_the_cap(
    fault_server: FaultServer, small_store: Path, small_urls: list[str], tmp_path: Path
) -> None:
    urls = fault_server.publish(small_urls[:3], small_store)
    sizes = [Path(u).stat().st_size for u in small_urls[:3]]
    cap = sizes[0] + sizes[1] + sizes[2] // 2
    cache_dir = tmp_path / "cache"
    list(load_atek_wds_dataset(urls[:2], cache_dir=cache_dir, cache_max_bytes=cap))
    cache = ShardCache(cache_dir, max_bytes=cap)
    assert cache.lookup(urls[0]) is not None  # urls[0] is now the most recently used
    list(load_atek_wds_dataset(urls[2:], cache_dir=cache_dir, cache_max_bytes=cap))
    assert cache.lookup(urls[1]) is None
    assert cache.lookup(urls[0]) is not None
    assert cache.lookup(urls[2]) is not None
    assert cache.usage() <= cap


def test_a_shard_larger_than_the_cap_is_streamed_but_not_cached(
    fault_server: FaultServer, small_store: Path, small_urls: list[str], tmp_path: Path
) -> None:
    urls = fault_server.publish(small_urls[:1], small_store)
    samples = list(load_atek_wds_dataset(urls, cache_dir=tmp_path / "c", cache_max_bytes=1000))
    assert len(samples) == 2
    assert ShardCache(tmp_path / "c").usage() == 0


@pytest.mark.parametrize("ignore_range", [False, True])
def test_a_dropped_connection_resumes_where_it_stopped(
    fault_server: FaultServer, small_store: Path, small_urls: list[str], ignore_range: bool
) -> None:
    urls = fault_server.publish(small_urls[:2], small_store)
    path = "/" + str(Path(small_urls[0]).relative_to(small_store))
    fault_server.faults[path] = Fault(cut_after=7000, ignore_range=ignore_range)
    streamed = list(load_atek_wds_dataset(urls, http_options=FAST_RETRY))
    local = list(load_atek_wds_dataset(small_urls[:2]))
    assert all(same(without_location(a), without_location(b)) for a, b in zip(streamed, local, strict=True))
    assert fault_server.requested_paths().count(path) == 2


def test_server_errors_are_retried(
    fault_server: FaultServer, small_store: Path, small_urls: list[str]
) -> None:
    urls = fault_server.publish(small_urls[:1], small_store)
    path = "/" + str(Path(small_urls[0]).relative_to(small_store))
    fault_server.faults[path] = Fault(status=503, status_times=2)
    assert len(list(load_atek_wds_dataset(urls, http_options=FAST_RETRY))) == 2
    assert fault_server.requested_paths().count(path) == 3


def test_refused_urls_raise_urls_expired_without_leaking_the_signature(
    fault_server: FaultServer, small_store: Path, small_urls: list[str]
) -> None:
    (url,) = fault_server.publish(small_urls[:1], small_store)
    path = "/" + str(Path(small_urls[0]).relative_to(small_store))
    fault_server.faults[path] = Fault(status=403)
    with pytest.raises(UrlsExpiredError, match="fresh URL JSON") as info:
        list(load_atek_wds_dataset([url + "?Signature=s3cr3t"], http_options=FAST_RETRY))
    assert path in str(info.value)
    assert "s3cr3t" not in str(info.value)


def test_a_missing_remote_shard_raises_a_transfer_error(fault_server: FaultServer) -> None:
    with pytest.raises(TransferError, match="HTTP 404"):
        list(
            load_atek_wds_dataset(
                [fault_server.url("nope/shards-0000.tar", query=None)], http_options=FAST_RETRY
            )
        )


def test_an_unreachable_server_raises_a_transfer_error(refused_url: str) -> None:
    options = HttpOptions(retries=1, backoff=0.0, connect_timeout=1.0)
    with pytest.raises(TransferError, match="cannot reach"):
        list(load_atek_wds_dataset([refused_url], http_options=options))


def test_repeat_streams_epoch_after_epoch(
    fault_server: FaultServer, small_store: Path, small_urls: list[str]
) -> None:
    urls = fault_server.publish(small_urls[:2], small_store)
    items = list(itertools.islice(load_atek_wds_dataset(urls, repeat_flag=True), 10))
    assert len(items) == 10
    assert len({(s["__url__"], s["__key__"]) for s in items}) == 4
