"""Hostile HTTP peers: every case ends within seconds, with our error or the documented exit code.

The downloader meets each peer through the real command line (exit status, one line, no
traceback), the streaming client through the loader's path (HttpClient, then the tar reader);
each in a child bounded in time and memory, whose peak resident memory must stay under 500 MB.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.download.fake_store import build_store, download_args
from tests.fault_server import FaultServer
from tests.hostile.http_peers import CASE_SECONDS, MAX_RSS_MB, Peer, peers, run_downloads, run_streams

SHARD = 100_000  # not a size any hostile answer happens to have
GOLDEN = "adt_cubercnn/shards-0000.tar"


@pytest.fixture
def other_host() -> Iterator[FaultServer]:
    """A second server: another origin to be redirected to."""
    with FaultServer() as server:
        yield server


def test_the_downloader_ends_every_hostile_case_quickly_with_its_exit_code(
    fault_server: FaultServer, other_host: FaultServer, tmp_path: Path
) -> None:
    cases, expected = [], {}
    for peer in peers(other_host.url("elsewhere/shards-0000.tar")):
        store = build_store(fault_server, tmp_path / f"{peer.name}.json", {peer.name: 1}, shard_size=SHARD)
        relpath = f"{peer.name}/shards-0000.tar"
        if peer.name == "redirect-other-host":
            other_host.add("elsewhere/shards-0000.tar", store.data[relpath])
        fault_server.faults[store.server_path(relpath)] = peer.fault
        out = tmp_path / "out" / peer.name
        if peer.name == "retry-after-a-day":  # the Retry-After cap is an API setting
            api = {
                "config_name": "efm",
                "input_json_path": str(store.json_path),
                "output_folder_path": str(out),
                "train_val_split_ratio": 0.9,
                "random_seed": 42,
                "download_wds_to_local": True,
                "timeout": 1.0,
            }
            cases.append(
                {
                    "name": peer.name,
                    "api": api,
                    "policy": {"retries": 3, "base_s": 0.05, "max_retry_after_s": 0.2},
                }
            )
        else:
            extra = ("--timeout", "1", "--retries", "0" if peer.name == "trickle" else "1")
            cases.append({"name": peer.name, "argv": download_args(store.json_path, out, *extra)})
        expected[peer.name] = (peer, out)
    run = run_downloads(cases, timeout_s=150)
    assert run.outcome == "returned", f"{run.outcome} after {run.seconds:.0f} s: {run.message}\n{run.output}"
    assert run.peak_rss_mb < MAX_RSS_MB
    assert [case["name"] for case in run.value] == list(expected)
    for case in run.value:
        peer, out = expected[case["name"]]
        assert case["code"] == peer.exit_code, case
        assert case["seconds"] < CASE_SECONDS, case
        assert "Traceback" not in case["stderr"], case
        shard = json.loads((out / "download_report.json").read_text())["shards"][0]
        assert peer.says in (shard["reason"] or ""), (peer.name, shard)
        assert not list(out.glob("*/*.tar")) or peer.exit_code == 0


def test_the_streaming_client_ends_every_hostile_case_quickly_with_our_error(
    fault_server: FaultServer, other_host: FaultServer, golden_dir: Path
) -> None:
    data = (golden_dir / "wds" / GOLDEN).read_bytes()
    other_host.add("elsewhere/shards-0000.tar", data)
    cases, expected = [], {}
    corpus: list[Peer] = peers(other_host.url("elsewhere/shards-0000.tar"))
    for peer in corpus:
        path = f"stream/{peer.name}/shards-0000.tar"
        cases.append({"name": peer.name, "url": fault_server.add(path, data)})
        fault_server.faults[f"/{path}"] = peer.fault
        expected[peer.name] = peer
    run = run_streams(cases, timeout_s=120)
    assert run.outcome == "returned", f"{run.outcome} after {run.seconds:.0f} s: {run.message}\n{run.output}"
    assert run.peak_rss_mb < MAX_RSS_MB
    for case in run.value:
        peer = expected[case["name"]]
        assert case["seconds"] < CASE_SECONDS, case
        if peer.stream_error is None:
            assert (case["error"], case["samples"]) == (None, 1), case
        elif peer.stream_error == "FormatError" and not case["ours"]:
            # Bytes that are no tar reach the tar reader, whose errors are the format layer's
            # contract (its own hostile corpus); here it must end at once, as a ValueError.
            assert "ValueError" in case["classes"], case
        else:
            assert case["ours"], case
            assert peer.stream_error in case["classes"], case
            assert "Signature=abc" not in case["message"], case
