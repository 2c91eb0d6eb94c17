"""Read-ahead: shards fetched ahead in parallel byte ranges, handed over whole and in order, bounded."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from atek_store.errors import TransferError
from atek_store.loading import create_native_atek_dataloader
from atek_store.loading.readahead import RangeSink, ReadAhead
from tests.fault_server import FaultServer
from tests.loading.values import same, without_location

FILES = {f"http://h/s{i}.tar": bytes((i * 7 + j) % 251 for j in range(1000 + 300 * i)) for i in range(5)}
LONG = {f"http://h/long{i}.tar": bytes((j + i) % 253 for j in range(300_000)) for i in range(2)}


class Ranges:
    """A plain handler in place of the HTTP layer: bytes of FILES, every request recorded."""

    def __init__(self, *, declare_size: bool = True, fail: str | None = None) -> None:
        self.asked: list[tuple[str, int]] = []
        self.ends: dict[tuple[str, int], int] = {}
        self.lock = threading.Lock()
        self.declare_size = declare_size
        self.fail = fail

    def read_range(self, url: str, start: int, end: int, sink: RangeSink) -> None:
        with self.lock:
            self.asked.append((url, start))
            self.ends[url, start] = end
        data = FILES.get(url) or LONG[url]
        sink.size(len(data) if self.declare_size else None)
        piece = data[start:end]
        sink.write(piece[: len(piece) // 2])  # in two pieces, as bytes arrive
        if url == self.fail and start > 0:
            raise TransferError(f"{url} broke off", url=url)
        reused = bytearray(piece[len(piece) // 2 :])
        sink.write(memoryview(reused))  # a buffer the source reuses at once: the sink must copy it
        reused[:] = bytes(len(reused))


def _read(ahead: ReadAhead, url: str) -> bytes:
    stream = ahead.claim(url)
    assert stream is not None
    with stream:
        return stream.read()


@pytest.mark.parametrize("declare_size", [True, False])
def test_claimed_shards_come_whole_and_in_order_over_several_ranges(declare_size: bool) -> None:
    source = Ranges(declare_size=declare_size)
    ahead = ReadAhead(source, window=3, connections=4, chunk_bytes=256)
    urls = list(FILES)
    ahead.want("lane", urls)
    try:
        for url in urls:
            assert _read(ahead, url) == FILES[url]
            ahead.want("lane", urls[urls.index(url) + 1 :])
    finally:
        ahead.close()
    starts = sorted(start for url, start in source.asked if url == urls[4])
    assert starts[: len(FILES[urls[4]]) // 256 + 1] == list(range(0, len(FILES[urls[4]]), 256))


def test_ranges_start_short_grow_to_the_longest_and_tile_the_shard() -> None:
    source = Ranges()
    ahead = ReadAhead(source, window=2, connections=2, chunk_bytes=16_384, min_chunk_bytes=1024)
    url = next(iter(LONG))
    ahead.want("lane", [url])
    try:
        assert _read(ahead, url) == LONG[url]
    finally:
        ahead.close()
    starts = [start for _, start in source.asked]
    lengths = [min(source.ends[url, start], len(LONG[url])) - start for start in starts]
    assert starts == sorted(starts)  # in order, from the first byte
    assert starts[0] == 0
    assert [a + n for a, n in zip(starts, lengths, strict=False)][:-1] == starts[1:]  # no gap, no overlap
    assert starts[-1] + lengths[-1] == len(LONG[url])
    assert lengths[0] == 1024  # the first bytes over both connections at once
    assert lengths[1] < 2048
    assert all(1024 <= n <= 16_384 for n in lengths[:-1])
    assert lengths[-2] == 16_384  # the floor has opened up to the longest range


def test_the_ranges_start_short_again_once_the_reader_has_caught_up() -> None:
    source = Ranges()
    ahead = ReadAhead(source, window=1, connections=2, chunk_bytes=16_384, min_chunk_bytes=1024)
    first, second = LONG
    try:
        for url in (first, second):
            ahead.want("lane", [url])
            assert _read(ahead, url) == LONG[url]  # read to its end: nothing is left ahead
    finally:
        ahead.close()
    lengths = {
        url: [source.ends[url, start] - start for asked, start in source.asked if asked == url]
        for url in LONG
    }
    assert lengths[first][0] == lengths[second][0] == 1024
    assert max(lengths[first]) == max(lengths[second]) == 16_384


def test_only_the_window_is_fetched_ahead() -> None:
    ahead = ReadAhead(Ranges(), window=2, connections=4, chunk_bytes=512)
    urls = list(FILES)
    ahead.want("lane", urls)
    try:
        assert ahead.claim(urls[2]) is None  # outside the window: the opener streams it itself
        assert _read(ahead, urls[0]) == FILES[urls[0]]  # done and closed: the window moves on
        assert _read(ahead, urls[2]) == FILES[urls[2]]
        assert ahead.claim(urls[0]) is None  # handed over once
    finally:
        ahead.close()


def test_a_failed_range_is_raised_to_the_reader_of_that_shard() -> None:
    urls = list(FILES)
    ahead = ReadAhead(Ranges(fail=urls[1]), window=3, connections=2, chunk_bytes=256)
    ahead.want("lane", urls[:3])
    try:
        assert _read(ahead, urls[0]) == FILES[urls[0]]
        with pytest.raises(TransferError, match="broke off"):
            _read(ahead, urls[1])
        assert _read(ahead, urls[2]) == FILES[urls[2]]
    finally:
        ahead.close()


def test_spilled_shards_read_back_the_same_and_leave_nothing_behind(tmp_path: Path) -> None:
    ahead = ReadAhead(Ranges(), window=5, connections=3, chunk_bytes=300, spill_dir=tmp_path)
    ahead.want("lane", list(FILES))
    try:
        for url, data in FILES.items():
            assert _read(ahead, url) == data
    finally:
        ahead.close()
    assert list(tmp_path.iterdir()) == []


def test_shards_in_the_cache_are_never_fetched_ahead() -> None:
    source = Ranges()
    urls = list(FILES)
    ahead = ReadAhead(source, window=5, connections=2, chunk_bytes=4096, cached=lambda url: url == urls[0])
    ahead.want("lane", urls[:2])
    try:
        assert ahead.claim(urls[0]) is None
        assert _read(ahead, urls[1]) == FILES[urls[1]]
    finally:
        ahead.close()
    assert {url for url, _ in source.asked} == {urls[1]}


@pytest.mark.parametrize("num_workers", [0, 2])
def test_streaming_with_read_ahead_gives_the_local_samples_in_the_local_order(
    fault_server: FaultServer, small_store: Path, small_urls: list[str], num_workers: int
) -> None:
    urls = fault_server.publish(small_urls, small_store)
    options = {"shuffle_flag": True, "seed": 3, "num_workers": num_workers}
    local = list(create_native_atek_dataloader(small_urls, **options))
    for read_ahead in (0, 3):
        fault_server.clear_log()
        streamed = list(create_native_atek_dataloader(urls, read_ahead=read_ahead, **options))
        assert len(streamed) == len(local) == 24
        assert all(
            same(without_location(a), without_location(b)) for a, b in zip(streamed, local, strict=True)
        )
        assert sorted(set(fault_server.requested_paths())) == sorted(
            f"/{Path(u).relative_to(small_store)}" for u in small_urls
        )


def test_the_connections_of_a_reader_can_be_set(
    fault_server: FaultServer, small_store: Path, small_urls: list[str]
) -> None:
    urls = fault_server.publish(small_urls, small_store)
    ports = {}
    for connections in (2, None):
        fault_server.clear_log()
        loader = create_native_atek_dataloader(urls, read_ahead_connections=connections, read_ahead=4)
        assert len(list(loader)) == 24
        ports[connections] = {entry.client_port for entry in fault_server.log}
    assert len(ports[2]) <= 2  # kept alive and reused, never more at once
    assert len(ports[None]) > 2  # the default: many more
