"""Ranks in separate processes, each with 2 DataLoader workers, read every sample exactly once."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_ranks(tmp_path: Path, urls: list[str], world: int, *, gloo: bool) -> list[list[list[list[str]]]]:
    urls_file = tmp_path / "urls.json"
    urls_file.write_text(json.dumps(urls))
    port = _free_port()
    procs = []
    for rank in range(world):
        env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE")}
        if gloo:
            # torch.distributed must win over the environment: give every rank a misleading RANK.
            env.update(RANK="0", WORLD_SIZE="1")
            extra = ["gloo", str(rank), str(world), str(port)]
        else:
            env.update(RANK=str(rank), WORLD_SIZE=str(world))
            extra = []
        out = tmp_path / f"rank{rank}.json"
        cmd = [sys.executable, "-m", "tests.loading.rank_main", str(urls_file), str(out), "2", *extra]
        procs.append((subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stderr=subprocess.PIPE, text=True), out))
    results = []
    for proc, out in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.read_text()))
    return results


@pytest.mark.slow
@pytest.mark.parametrize("gloo", [False, True], ids=["RANK-env", "gloo"])
def test_two_ranks_with_two_workers_cover_every_sample_once(
    tmp_path: Path, small_urls: list[str], gloo: bool
) -> None:
    results = _run_ranks(tmp_path, small_urls, 2, gloo=gloo)
    everything = {(url, key) for url in small_urls for key in _keys_of(url)}
    assert len(everything) == 24
    for epoch in range(2):
        seen = Counter(tuple(pair) for rank in results for pair in rank[epoch])
        assert set(seen) == everything
        assert max(seen.values()) == 1
        assert all(len(rank[epoch]) > 0 for rank in results)
    # shards move between ranks from one epoch to the next (shuffled before the split)
    assert {p[0] for p in results[0][0]} != {p[0] for p in results[0][1]}


def _keys_of(url: str) -> list[str]:
    from atek_store.format import iter_raw_samples

    with open(url, "rb") as stream:
        return [raw.key for raw in iter_raw_samples(stream, shard=url)]
