"""Reading a shard's raw samples through the shard source (and ``publish --check tar``) never imports torch.

The server and ``publish --check tar`` read tars through these modules, and the loader's workers
only pay for torch when they decode.
"""

from __future__ import annotations

from pathlib import Path

from tests.bounded import run_bounded


def test_raw_samples_and_tar_checks_stay_free_of_torch_numpy_and_jpeg(golden_dir: Path) -> None:
    shard = str(golden_dir / "wds" / "adt_efm_short" / "shards-0000.tar")
    code = f"""
import sys
from pathlib import Path
from atek_store.sources import ShardOpener
from atek_store.store.shardcheck import digest_shard
with ShardOpener() as opener:
    count = sum(1 for _ in opener.samples({shard!r}))
digest = digest_shard(Path({shard!r}), check="tar")
heavy = sorted(m for m in ("torch", "numpy", "simplejpeg", "PIL") if m in sys.modules)
result = [count, digest.samples, heavy]
"""
    run = run_bounded(code, timeout_s=60)
    assert run.outcome == "returned", run.output
    assert run.value == [2, 2, []]
