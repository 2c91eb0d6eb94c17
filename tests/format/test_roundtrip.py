"""encode and decode are inverse: on the golden shards and on synthetic samples of both kinds."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import torch

from atek_store.format import ShardWriter, iter_shard
from atek_store.synthetic import SYNTHETIC_CONFIGS, generate_sequence

GOLDEN_SETS = ("adt_cubercnn", "adt_efm_short")


def assert_same(expected: Any, actual: Any, path: str, *, image_tolerance: float | None) -> None:
    """Equal values; images (uint8 stacks) equal in shape and within a mean absolute error."""
    if isinstance(expected, torch.Tensor):
        assert isinstance(actual, torch.Tensor), path
        assert actual.dtype == expected.dtype, path
        assert actual.shape == expected.shape, path
        if expected.dtype == torch.uint8 and expected.ndim == 4:
            if image_tolerance is not None:
                error = (actual.float() - expected.float()).abs().mean().item()
                assert error <= image_tolerance, f"{path}: mean abs error {error}"
        else:
            assert torch.equal(actual.nan_to_num(), expected.nan_to_num()), path
    elif isinstance(expected, dict):
        assert isinstance(actual, dict), path
        assert set(actual) == set(expected), f"{path}: {set(actual) ^ set(expected)}"
        for key in expected:
            assert_same(expected[key], actual[key], f"{path}/{key}", image_tolerance=image_tolerance)
    elif isinstance(expected, list):
        assert isinstance(actual, list), path
        assert len(actual) == len(expected), path
        for i, (a, b) in enumerate(zip(expected, actual, strict=True)):
            assert_same(a, b, f"{path}[{i}]", image_tolerance=image_tolerance)
    else:
        assert actual == expected, path


def _without_pass_through(sample: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in sample.items() if not k.startswith("__")}


@pytest.mark.parametrize("name", GOLDEN_SETS)
def test_golden_samples_survive_encode_decode(golden_dir: Path, tmp_path: Path, name: str) -> None:
    originals = [s for shard in sorted((golden_dir / "wds" / name).glob("*.tar")) for s in iter_shard(shard)]
    with ShardWriter(tmp_path, prefix="again", max_samples_per_shard=8) as writer:
        for sample in originals:
            writer.write(sample)
    again = [s for shard in sorted(tmp_path.glob("*.tar")) for s in iter_shard(shard)]
    assert [s["__key__"] for s in again] == [f"again_AtekDataSample_{i:06d}" for i in range(len(originals))]
    for before, after in zip(originals, again, strict=True):
        # non-image values identical, image shapes identical (JPEG at q100 is lossy for colour)
        assert_same(_without_pass_through(before), _without_pass_through(after), "", image_tolerance=None)


@pytest.mark.parametrize("kind", ["cubercnn", "efm"])
def test_synthetic_samples_survive_encode_decode(tmp_path: Path, kind: str) -> None:
    config = SYNTHETIC_CONFIGS[kind]
    samples = list(itertools.islice(generate_sequence(config, seed=3, index=0, name="roundtrip"), 2))
    with ShardWriter(tmp_path, prefix=config.prefix, max_samples_per_shard=8) as writer:
        for sample in samples:
            writer.write(sample)
    decoded = [s for shard in sorted(tmp_path.glob("*.tar")) for s in iter_shard(shard)]
    for original, back in zip(samples, decoded, strict=True):
        back = _without_pass_through(back)
        for helper in (
            "msdpd#points_world_lengths",
            *(
                f"{n}+stacked"
                for n in ("msdpd#points_world", "msdpd#points_dist_std", "msdpd#points_inv_dist_std")
            ),
        ):
            back.pop(helper, None)
        # JPEG quality 100: flat-shaded renderings come back within a fraction of a grey level
        assert_same(original, back, "", image_tolerance=1.0)
