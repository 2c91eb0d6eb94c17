"""The golden shards through our loader yield exactly what the original loader yields."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from atek_store import create_native_atek_dataloader
from atek_store.errors import ShardSplitWarning
from tests.golden import load_expected, sample_mismatches

GOLDEN_SETS = ("adt_cubercnn", "adt_efm_short")


@pytest.mark.parametrize("name", GOLDEN_SETS)
@pytest.mark.parametrize("num_workers", [0, 2])
def test_native_dataloader_yields_the_original_samples(golden_dir: Path, name: str, num_workers: int) -> None:
    expected = load_expected(golden_dir / "expected_native.json")[name]
    urls = [str(path) for path in sorted((golden_dir / "wds" / name).glob("*.tar"))]
    loader = create_native_atek_dataloader(urls, batch_size=None, num_workers=num_workers)
    if num_workers > len(urls):
        with pytest.warns(ShardSplitWarning, match="sit idle"):
            samples = list(loader)
    else:
        samples = list(loader)
    assert len(samples) == len(expected)
    for want, have in zip(expected, samples, strict=True):
        assert sample_mismatches(want, have) == []
        assert have["__url__"] in urls
        assert have["__local_path__"] == have["__url__"]


def test_key_mapping_keeps_and_renames_only_mapped_keys(golden_dir: Path) -> None:
    expected = load_expected(golden_dir / "expected_native.json")["adt_efm_short"]
    urls = [str(path) for path in sorted((golden_dir / "wds" / "adt_efm_short").glob("*.tar"))]
    mapping = {
        "mfcd#camera-rgb+images": "image",
        "msdpd#points_world": "points",
        "mtd#ts_world_device": "poses",
        "not-in-the-sample": "never",
    }
    samples = list(create_native_atek_dataloader(urls, dict_key_mapping=mapping))
    assert len(samples) == len(expected)
    for want, have in zip(expected, samples, strict=True):
        assert set(have) == {"__key__", "__url__", "image", "points", "poses"}
        renamed = {new: want[old] for old, new in mapping.items() if old in want}
        renamed["__key__"] = want["__key__"]
        assert sample_mismatches(renamed, have) == []


def test_channels_last_layout_yields_the_same_values(golden_dir: Path) -> None:
    expected = load_expected(golden_dir / "expected_native.json")
    for name in GOLDEN_SETS:
        urls = [str(path) for path in sorted((golden_dir / "wds" / name).glob("*.tar"))]
        samples = list(create_native_atek_dataloader(urls, image_layout="channels_last"))
        for want, have in zip(expected[name], samples, strict=True):
            assert sample_mismatches(want, have) == []
            rgb = have["mfcd#camera-rgb+images"]
            assert rgb.is_contiguous(memory_format=torch.channels_last)
            assert not rgb.is_contiguous()
        plain = next(iter(create_native_atek_dataloader(urls)))
        assert plain["mfcd#camera-rgb+images"].is_contiguous()
