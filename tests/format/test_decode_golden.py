"""Every golden shard decodes to exactly what the original loader yields."""

from __future__ import annotations

from pathlib import Path

import pytest

from atek_store.format import iter_shard
from tests.golden import load_expected, sample_mismatches

GOLDEN_SETS = ("adt_cubercnn", "adt_efm_short")


@pytest.mark.parametrize("name", GOLDEN_SETS)
def test_golden_shards_decode_exactly_as_the_original_loader(golden_dir: Path, name: str) -> None:
    expected = load_expected(golden_dir / "expected_native.json")[name]
    samples = [s for shard in sorted((golden_dir / "wds" / name).glob("*.tar")) for s in iter_shard(shard)]
    assert len(samples) == len(expected)
    for want, have in zip(expected, samples, strict=True):
        assert sample_mismatches(want, have) == []


def test_decoded_sample_carries_url_and_local_path(golden_dir: Path) -> None:
    shard = golden_dir / "wds" / "adt_cubercnn" / "shards-0000.tar"
    (sample,) = list(iter_shard(shard))
    assert sample["__url__"] == str(shard)
    assert sample["__local_path__"] == str(shard)


def test_wanted_keys_limit_what_is_decoded(golden_dir: Path) -> None:
    shard = golden_dir / "wds" / "adt_efm_short" / "shards-0000.tar"
    wanted = frozenset({"msdpd#points_world", "mfcd#camera-slam-left+images"})
    sample = next(iter_shard(shard, wanted=wanted))
    assert set(sample) == {"__key__", "__url__", "__local_path__", *wanted}
    assert len(sample["msdpd#points_world"]) == 2
    assert sample["mfcd#camera-slam-left+images"].shape == (2, 1, 240, 320)
