"""Kill a real download process mid-transfer, run again: finished files stay, the partial one resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from atek_store import load_yaml_and_extract_tar_list
from atek_store.cli import main
from atek_store.download import load_report
from tests.download.fake_store import build_store, download_args
from tests.fault_server import FaultServer

SHARD = 512 * 1024


def partial_files(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out))[: -len(".part")]: p.stat().st_size for p in out.glob("*/*.part")}


def test_killed_download_resumes_without_refetching_finished_files(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    store = build_store(fault_server, tmp_path / "urls.json", {"s1": 2, "s2": 2, "s3": 2}, shard_size=SHARD)
    fault_server.rate_limit = 1_000_000  # half a second per shard and connection
    fault_server.block_size = 16 * 1024
    out = tmp_path / "out"
    args = download_args(store.json_path, out, "--workers", "2")
    env = dict(os.environ, ATEK_STORE_NO_PROGRESS="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "atek_store", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            finished = list(out.glob("*/*.tar"))
            growing = [size for size in partial_files(out).values() if 64 * 1024 <= size < SHARD - 64 * 1024]
            if len(finished) >= 2 and growing:
                break
            time.sleep(0.01)
        assert process.poll() is None, "the download ended before it could be killed"
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    finished_before = {str(p.relative_to(out)) for p in out.glob("*/*.tar")}
    partial_before = {path: size for path, size in partial_files(out).items() if 0 < size < SHARD}
    complete_parts = {
        path for path, size in partial_files(out).items() if size == SHARD
    }  # killed before rename
    assert finished_before
    assert partial_before
    assert not (out / "local_all_tars.yaml").exists()

    fault_server.clear_log()
    fault_server.rate_limit = None
    assert main(args) == 0

    fetched = {entry.path: entry for entry in fault_server.log}
    for relpath in finished_before:
        assert store.server_path(relpath) not in fetched, f"{relpath} was fetched again"
    for relpath, size in partial_before.items():
        requests = store.requests_for(relpath)
        assert [(r.range, r.status) for r in requests] == [(f"bytes={size}-", 206)]
        assert requests[0].bytes_sent == SHARD - size
    expected = {store.server_path(p) for p in set(store.data) - finished_before - complete_parts}
    assert set(fetched) == expected
    assert len(fault_server.log) == len(expected)
    for relpath, body in store.data.items():
        assert (out / relpath).read_bytes() == body
    assert not list(out.glob("*/*.part"))


def test_ctrl_c_leaves_yamls_and_report_listing_exactly_the_verified_shards(
    fault_server: FaultServer, tmp_path: Path
) -> None:
    store = build_store(fault_server, tmp_path / "urls.json", {"s1": 2, "s2": 2}, shard_size=SHARD)
    fault_server.rate_limit = 1_000_000
    fault_server.block_size = 16 * 1024
    out = tmp_path / "out"
    env = dict(os.environ, ATEK_STORE_NO_PROGRESS="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "atek_store", *download_args(store.json_path, out, "--workers", "1")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if list(out.glob("*/*.tar")) and any(size >= 64 * 1024 for size in partial_files(out).values()):
                break
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    finished = {str(p.relative_to(out)) for p in out.glob("*/*.tar")}
    assert finished
    assert finished != set(store.data)
    listed = {os.path.relpath(p, out) for p in load_yaml_and_extract_tar_list(out / "local_all_tars.yaml")}
    assert listed == finished
    report = load_report(out / "download_report.json")
    assert report.interrupted
    assert {s.relpath for s in report.shards if s.ok} == finished
    kept = partial_files(out)
    assert kept  # the interrupted transfer's bytes are kept for the next run, and reported as such
    partial = {s.relpath: s.bytes_kept for s in report.shards if s.status == "partial"}
    assert partial == kept
