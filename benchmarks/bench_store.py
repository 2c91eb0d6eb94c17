"""Figures for hosting a store: publish-time shard checking, and serving concurrent range downloads.

Usage: python benchmarks/bench_store.py [--copies 24] [--serve-mib 256] [--streams 64]

1. publish: copies of the golden shards in a store layout; sha1 alone vs sha1 + full check
   (tar walk + decode of every sample), on the digest thread pool.
2. serve: one file of --serve-mib MiB split into --streams byte ranges, all fetched at once with
   urllib3 threads from `start_store_server` on 127.0.0.1 (client and server share the CPUs).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import urllib3

from atek_store.store.layout import discover_shards
from atek_store.store.server import start_store_server
from atek_store.store.shardcheck import digest_shards


def sha1_only(paths: list[Path], workers: int) -> None:
    def one(path: Path) -> str:
        digest = hashlib.sha1(usedforsecurity=False)
        with path.open("rb", buffering=0) as file:
            while chunk := file.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, paths))


def bench_publish(root: Path, golden: Path, copies: int) -> None:
    sources = sorted((golden / "wds").glob("*/shards-0000.tar"))
    for i in range(copies):
        source = sources[i % len(sources)]
        target = root / "efm" / f"seq{i:03d}" / "shards-0000.tar"
        target.parent.mkdir(parents=True)
        shutil.copyfile(source, target)
    paths = [shard.path for shard in discover_shards(root)]
    total = sum(p.stat().st_size for p in paths) / 1e6
    workers = min(8, (os.cpu_count() or 1) + 2)
    for label, run in [
        ("sha1 only", lambda: sha1_only(paths, workers)),
        ("sha1 + tar check", lambda: digest_shards(paths, check="tar", workers=workers)),
        ("sha1 + full check", lambda: digest_shards(paths, workers=workers)),
    ]:
        run()  # warm the page cache
        start = time.perf_counter()
        run()
        seconds = time.perf_counter() - start
        print(
            f"publish {label:18s}: {len(paths)} shards, {total:.1f} MB in {seconds:.2f} s = "
            f"{total / seconds:.0f} MB/s, {len(paths) / seconds:.0f} shards/s ({workers} threads)"
        )


def bench_serve(root: Path, mib: int, streams: int) -> None:
    path = root / "efm" / "big" / "data.tar"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = os.urandom(mib << 20)
    path.write_bytes(data)
    step = len(data) // streams
    spans = [(i * step, len(data) if i == streams - 1 else (i + 1) * step) for i in range(streams)]
    http = urllib3.PoolManager(maxsize=streams, retries=False, timeout=120)
    with start_store_server(root) as server:
        url = f"{server.url}/efm/big/data.tar"
        for attempt in ("warm-up", "measured"):
            barrier = threading.Barrier(streams)

            def fetch(span: tuple[int, int], barrier: threading.Barrier = barrier) -> bool:
                barrier.wait()
                response = http.request("GET", url, headers={"Range": f"bytes={span[0]}-{span[1] - 1}"})
                return response.status == 206 and response.data == data[span[0] : span[1]]

            start = time.perf_counter()
            with ThreadPoolExecutor(streams) as pool:
                ok = list(pool.map(fetch, spans))
            seconds = time.perf_counter() - start
            if attempt == "measured":
                print(
                    f"serve {streams} concurrent range downloads of {mib} MiB: {seconds:.2f} s = "
                    f"{mib / 1024 / seconds:.2f} GiB/s, all correct: {all(ok)}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--golden", type=Path, default=Path(__file__).resolve().parents[1] / ".." / "shared" / "golden"
    )
    parser.add_argument("--copies", type=int, default=24)
    parser.add_argument("--serve-mib", type=int, default=256)
    parser.add_argument("--streams", type=int, default=64)
    args = parser.parse_args()
    print(f"CPUs: {os.cpu_count()}")
    with tempfile.TemporaryDirectory(prefix="atek-bench-store-") as folder:
        bench_publish(Path(folder) / "publish", args.golden.resolve(), args.copies)
        bench_serve(Path(folder) / "serve", args.serve_mib, args.streams)


if __name__ == "__main__":
    main()
