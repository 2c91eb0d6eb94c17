"""The fuzzer: mutated real and synthetic shards end in samples or our own error, in bounded time and memory.

CI runs a fixed, derandomized set of examples; set ``ATEK_STORE_FUZZ_EXAMPLES`` for more (the
child's time bound grows with it) and ``ATEK_STORE_FUZZ_SEED`` for a different set.
"""

from __future__ import annotations

import os
from pathlib import Path

from atek_store.format import ShardWriter, iter_shard
from tests.hostile.conftest import returned, run_probe

EXAMPLES = int(os.environ.get("ATEK_STORE_FUZZ_EXAMPLES", "150"))
SEED = int(os.environ["ATEK_STORE_FUZZ_SEED"]) if os.environ.get("ATEK_STORE_FUZZ_SEED") else None
# The slowest mutated shard decodes in well under a second on a quiet machine.
EXAMPLE_SECONDS = 10.0


def _synthetic_seed(golden_dir: Path, folder: Path) -> Path:
    """A shard written by our own writer, from the golden efm samples."""
    samples = list(iter_shard(golden_dir / "wds" / "adt_efm_short" / "shards-0000.tar"))
    with ShardWriter(folder, prefix="fuzz", max_samples_per_shard=4) as writer:
        for sample in samples:
            writer.write(sample)
    return folder / "shards-0000.tar"


def test_mutated_shards_end_in_samples_or_our_errors(golden_dir: Path, tmp_path: Path) -> None:
    seeds = [
        str(golden_dir / "wds" / "adt_efm_short" / "shards-0000.tar"),
        str(golden_dir / "wds" / "adt_cubercnn" / "shards-0000.tar"),
        str(_synthetic_seed(golden_dir, tmp_path)),
    ]
    run = run_probe(
        f"from tests.hostile.fuzz import run_fuzz\nresult = run_fuzz({seeds!r}, {EXAMPLES}, {SEED!r})",
        timeout_s=60 + EXAMPLES * 1.0,
    )
    stats = returned(run)
    assert stats["failures"] == []
    assert stats["examples"] == EXAMPLES
    assert stats["slowest_s"] < EXAMPLE_SECONDS
    assert stats["samples"] > 0
    assert stats["errors"]
