"""Downloader benchmark: ours against a baseline that behaves like the original ATEK downloader.

Starts its own loopback HTTP server (the test suite's FaultServer) with a per-connection rate cap,
serves a store of 32 shards of 4 MiB, and times in the same run:

* baseline: one file at a time over one connection, 1 KiB reads written straight to the final
  path, no verification; a transfer cut part-way is started again from byte 0 (what a re-run of
  the original does, since it has no Range resume);
* ours: ``download_atek_wds_sequences`` with its defaults (8 parallel transfers, Range resume,
  sha1 computed while streaming, verified before rename);
* end to end: the real ``atek-store download`` command as a whole process (``python -m atek_store``),
  timed from its start to its exit, interpreter start and imports included.

Each is run on a clean network and with 20% of the transfers cut part-way. Printed: wall times and
the speed ratio, bytes the server sent over the store's size, and how many times each file's bytes
went through sha1 (and how many were read back from disk for it).

Usage: ``.venv/bin/python benchmarks/download.py [--shards 32] [--shard-mib 4] [--rate-mb 8]``
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import urllib3

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.download.fake_store import FakeStore, build_store, download_args  # noqa: E402
from tests.fault_server import Fault, FaultServer  # noqa: E402

from atek_store import download_atek_wds_sequences  # noqa: E402
from atek_store.manifest import load_manifest  # noqa: E402


@dataclass
class Result:
    seconds: float
    bytes_sent: int
    verified: int
    hash_passes_min: float
    hash_passes_max: float
    rehashed_from_disk: int


def baseline(store: FakeStore, out: Path) -> Result:
    """One file at a time, one connection, 1 KiB reads to the final path, restart from 0 on a cut."""
    manifest = load_manifest(store.json_path)
    shards = [s for seq in manifest.config(store.config).sequences.values() for s in seq.shards]
    pool = urllib3.PoolManager(maxsize=1)
    store.server.clear_log()
    started = time.perf_counter()
    for shard in shards:
        dest = out / shard.relpath
        dest.parent.mkdir(parents=True, exist_ok=True)
        while True:
            response = pool.request("GET", shard.url, preload_content=False)
            try:
                with open(dest, "wb") as handle:
                    for chunk in response.stream(1024):
                        handle.write(chunk)
                break
            except urllib3.exceptions.HTTPError:
                continue  # broken mid-body: the original's re-run starts this file again from byte 0
            finally:
                response.release_conn()
    seconds = time.perf_counter() - started
    pool.clear()
    # Not part of the timing (the original never checks a fresh download): is what it wrote right?
    verified = sum(
        hashlib.sha1((out / s.relpath).read_bytes(), usedforsecurity=False).hexdigest() == s.sha1
        for s in shards
    )
    return Result(seconds, store.server.bytes_sent(), verified, 0.0, 0.0, 0)


def ours(store: FakeStore, out: Path) -> Result:
    store.server.clear_log()
    started = time.perf_counter()
    report = download_atek_wds_sequences(
        store.config, store.json_path, 0.9, 42, out, download_wds_to_local=True
    )
    seconds = time.perf_counter() - started
    passes = [shard.bytes_hashed / shard.size for shard in report.shards]
    return Result(
        seconds,
        store.server.bytes_sent(),
        sum(shard.ok for shard in report.shards),
        min(passes),
        max(passes),
        sum(shard.bytes_rehashed for shard in report.shards),
    )


def end_to_end(store: FakeStore, out: Path) -> Result:
    """``atek-store download`` as its own process: what a user waits for, start-up included."""
    store.server.clear_log()
    env = dict(os.environ, ATEK_STORE_NO_PROGRESS="1", PYTHONPATH=str(REPO / "src"))
    command = [sys.executable, "-m", "atek_store", *download_args(store.json_path, out, config=store.config)]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"atek-store download failed ({done.returncode}): {done.stderr[-2000:]}")
    verified = sum(
        hashlib.sha1((out / relpath).read_bytes(), usedforsecurity=False).hexdigest()
        == hashlib.sha1(body, usedforsecurity=False).hexdigest()
        for relpath, body in store.data.items()
    )
    return Result(seconds, store.server.bytes_sent(), verified, 1.0, 1.0, 0)


def arm_cuts(store: FakeStore, fraction: float, rng: random.Random) -> list[str]:
    """Cut ``fraction`` of the shards' first transfer at a random point between 10% and 90%."""
    store.server.faults.clear()
    chosen = rng.sample(sorted(store.data), round(fraction * len(store.data)))
    for relpath in chosen:
        size = len(store.data[relpath])
        store.server.faults[store.server_path(relpath)] = Fault(
            cut_after=rng.randint(size // 10, size * 9 // 10)
        )
    return chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=32)
    parser.add_argument("--shard-mib", type=float, default=4.0)
    parser.add_argument("--rate-mb", type=float, default=8.0, help="per-connection cap in MB/s (10^6 bytes)")
    parser.add_argument("--cut-fraction", type=float, default=0.2)
    args = parser.parse_args()

    shard_size = int(args.shard_mib * 1024 * 1024)
    per_sequence = 4
    layout = {f"seq_{i:02d}": per_sequence for i in range(args.shards // per_sequence)}
    work = Path(tempfile.mkdtemp(prefix="atek-dl-bench-"))
    try:
        with FaultServer(rate_limit=args.rate_mb * 1e6, block_size=64 * 1024) as server:
            store = build_store(server, work / "urls.json", layout, shard_size=shard_size)
            total = sum(len(body) for body in store.data.values())
            print(
                f"store: {len(store.data)} shards x {shard_size / 2**20:.1f} MiB = {total / 2**20:.0f} MiB; "
                f"loopback server capped at {args.rate_mb:g} MB/s per connection"
            )
            rows: dict[str, tuple[Result, Result, Result]] = {}
            for scenario, fraction in (("clean", 0.0), (f"{args.cut_fraction:.0%} cut", args.cut_fraction)):
                results = []
                for name, runner in (("baseline", baseline), ("ours", ours), ("e2e", end_to_end)):
                    cut = arm_cuts(store, fraction, random.Random(7))
                    out = work / f"{name}-{scenario.split()[0]}"
                    result = runner(store, out)
                    results.append(result)
                    shutil.rmtree(out)
                    print(
                        f"  {scenario:>8} {name:>8}: {result.seconds:6.2f} s, "
                        f"{result.bytes_sent / total:.3f}x store bytes sent, "
                        f"{result.verified}/{len(store.data)} shards correct, {len(cut)} transfers cut"
                    )
                rows[scenario] = (results[0], results[1], results[2])
            print()
            ok = True
            for scenario, (base, mine, whole) in rows.items():
                ratio = base.seconds / mine.seconds
                e2e_ratio = base.seconds / whole.seconds
                print(
                    f"{scenario}: ours {ratio:.2f}x faster than the baseline "
                    f"({base.seconds:.2f} s -> {mine.seconds:.2f} s), end to end {e2e_ratio:.2f}x "
                    f"({whole.seconds:.2f} s for the whole `atek-store download` process, "
                    f"{whole.verified}/{len(store.data)} correct); bytes sent / store size: "
                    f"baseline {base.bytes_sent / total:.3f}, ours {mine.bytes_sent / total:.3f}; "
                    f"ours verified {mine.verified}/{len(store.data)}"
                )
                print(
                    f"  sha1 passes per file (ours): min {mine.hash_passes_min:.2f}, "
                    f"max {mine.hash_passes_max:.2f}; "
                    f"bytes read back from disk for hashing: {mine.rehashed_from_disk}; "
                    "baseline: 0 (it never hashes a fresh download; its next run re-reads every file once)"
                )
                ok &= ratio >= 6.0 and mine.verified == len(store.data) and mine.hash_passes_max <= 1.0
                ok &= e2e_ratio >= 6.0 and whole.verified == len(store.data)
                ok &= mine.bytes_sent / total <= 1.15
            print(
                "targets (>= 6x faster in process and end to end, all verified, bytes sent <= 1.15x, "
                "each file hashed at most once): " + ("MET" if ok else "NOT MET")
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
