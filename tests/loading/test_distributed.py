"""Ranks as separate processes (gloo on 127.0.0.1, or RANK/WORLD_SIZE): each sample once per epoch,
and a job resumed on another world size and number of workers reads the rest of the epoch once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.loading.test_elastic import assert_each_once


def run_job(
    tmp_path: Path, name: str, urls: list[str], *, world: int, workers: int, gloo: bool, **spec: Any
) -> list[dict[str, Any]]:
    """Run ``world`` ranks to completion; their outputs, rank by rank."""
    out = tmp_path / name
    out.mkdir()
    full = {
        "urls": urls,
        "world": world,
        "workers": workers,
        "epochs": 1,
        "stop": None,
        "state_in": None,
        "out": str(out),
        "gloo": str(out / "store") if gloo else None,
        **spec,
    }
    spec_file = out / "spec.json"
    spec_file.write_text(json.dumps(full))
    procs = []
    for rank in range(world):
        env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE")}
        env["GLOO_SOCKET_IFNAME"] = "lo"  # gloo's own connections stay on loopback
        if gloo:
            env.update(RANK="0", WORLD_SIZE="1")  # torch.distributed must win over the environment
        else:
            env.update(RANK=str(rank), WORLD_SIZE=str(world))
        cmd = [sys.executable, "-m", "tests.loading.rank_main", str(spec_file), str(rank)]
        procs.append(subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stderr=subprocess.PIPE, text=True))
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    return [json.loads((out / f"rank{rank}.json").read_text()) for rank in range(world)]


def _keys_of(url: str) -> list[str]:
    from atek_store.format import iter_raw_samples

    with open(url, "rb") as stream:
        return [raw.key for raw in iter_raw_samples(stream, shard=url)]


@pytest.mark.slow
@pytest.mark.parametrize("gloo", [False, True], ids=["RANK-env", "gloo"])
def test_two_ranks_with_two_workers_cover_every_sample_once(
    tmp_path: Path, small_urls: list[str], gloo: bool
) -> None:
    results = run_job(tmp_path, "job", small_urls, world=2, workers=2, gloo=gloo, epochs=2)
    everything = {(url, key) for url in small_urls for key in _keys_of(url)}
    assert len(everything) == 24
    for epoch in range(2):
        seen = Counter(tuple(pair) for rank in results for pair in rank["passes"][epoch])
        assert set(seen) == everything
        assert max(seen.values()) == 1
        assert all(len(rank["passes"][epoch]) > 0 for rank in results)
    # shards move between ranks from one epoch to the next (shuffled before the split)
    assert {p[0] for p in results[0]["passes"][0]} != {p[0] for p in results[0]["passes"][1]}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("before", "after", "stop"), [((2, 2), (3, 1), 3), ((1, 0), (4, 2), 5)], ids=["2x2-3x1", "1x0-4x2"]
)
def test_a_gloo_job_resumes_on_another_topology_reading_the_epoch_once(
    tmp_path: Path, small_urls: list[str], before: tuple[int, int], after: tuple[int, int], stop: int
) -> None:
    head = run_job(tmp_path, "before", small_urls, world=before[0], workers=before[1], gloo=True, stop=stop)
    states = [rank["state"] for rank in head]
    assert all(state == states[0] for state in states)  # gathered: every rank holds the whole job's state
    saved = tmp_path / "state.json"
    saved.write_text(json.dumps(states[-1]))  # any rank's state is enough
    rest = run_job(
        tmp_path, "after", small_urls, world=after[0], workers=after[1], gloo=True, state_in=str(saved)
    )
    assert_each_once(pair for job in (head, rest) for rank in job for pair in rank["passes"][0])
    assert sum(len(rank["passes"][0]) for rank in head) == before[0] * stop
