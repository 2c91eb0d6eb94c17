"""Our preprocessing of the real ADT test sequence decodes to what the original's shards decode to.

The goldens in ../shared/golden/ were written by the original ATEK preprocessor from the same
recording with the same configurations. Compared: keys, dtypes and shapes everywhere; the same GT
objects (instance ids, category ids, category names, in the same order); every non-image float
tensor within 1e-4 (NaN where the golden has NaN); integers exactly; uint8 images within a mean
absolute difference of one grey level of the golden's decoded pixels.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch

from atek_store.format import iter_shard
from atek_store.preprocess import SequenceResult
from tests.golden import load_expected, sample_mismatches
from tests.preprocess.conftest import GOLDEN_RUNS, needs_aria

pytestmark = needs_aria

FLOAT_ATOL = 1e-4
IMAGE_MAD = 1.0
_IGNORED = ("__url__", "__local_path__")


def _decoded(folder: Path) -> list[dict[str, Any]]:
    samples = [s for shard in sorted(folder.glob("shards-*.tar")) for s in iter_shard(shard)]
    return [{k: v for k, v in s.items() if k not in _IGNORED} for s in samples]


def differences(ours: Any, golden: Any, path: str = "") -> list[str]:
    """Every way ``ours`` falls outside the tolerances around ``golden``."""
    if isinstance(golden, dict):
        if not isinstance(ours, dict):
            return [f"{path}: expected a dict, got {type(ours).__name__}"]
        out = [f"{path}: keys differ: {sorted(set(ours) ^ set(golden))}"] if set(ours) != set(golden) else []
        return out + [
            line
            for key in golden
            if key in ours
            for line in differences(ours[key], golden[key], f"{path}/{key}")
        ]
    if isinstance(golden, list):
        if not isinstance(ours, list) or len(ours) != len(golden):
            return [f"{path}: expected a list of {len(golden)}, got {ours!r:.80}"]
        return [
            line
            for i, (a, b) in enumerate(zip(ours, golden, strict=True))
            for line in differences(a, b, f"{path}[{i}]")
        ]
    if isinstance(golden, torch.Tensor):
        if not isinstance(ours, torch.Tensor) or ours.dtype != golden.dtype or ours.shape != golden.shape:
            return [
                f"{path}: {getattr(ours, 'dtype', type(ours))} {tuple(getattr(ours, 'shape', ()))} "
                f"!= {golden.dtype} {tuple(golden.shape)}"
            ]
        if golden.dtype == torch.uint8:
            mad = (ours.float() - golden.float()).abs().mean().item()
            return [f"{path}: mean absolute difference {mad:.3f} grey levels"] if mad > IMAGE_MAD else []
        if golden.dtype.is_floating_point:
            if not torch.equal(ours.isnan(), golden.isnan()):
                return [f"{path}: NaNs in other places"]
            gap = (ours - golden).abs().nan_to_num(0.0).max().item() if golden.numel() else 0.0
            return [f"{path}: differs by {gap:.3g} > {FLOAT_ATOL}"] if gap > FLOAT_ATOL else []
        return [] if torch.equal(ours, golden) else [f"{path}: integers differ"]
    return [] if ours == golden else [f"{path}: {ours!r:.80} != {golden!r:.80}"]


@pytest.mark.parametrize("name", list(GOLDEN_RUNS))
def test_our_shards_decode_like_the_golden_shards(
    golden_outputs: dict[str, SequenceResult], golden_dir: Path, name: str
) -> None:
    ours = _decoded(golden_outputs[name].output_folder)
    golden = _decoded(golden_dir / "wds" / name)
    assert len(ours) == len(golden)
    for mine, theirs in zip(ours, golden, strict=True):
        assert differences(mine, theirs) == []


@pytest.mark.parametrize("name", list(GOLDEN_RUNS))
def test_our_shards_match_what_the_original_loader_yields(
    golden_outputs: dict[str, SequenceResult], golden_dir: Path, name: str
) -> None:
    expected = load_expected(golden_dir / "expected_native.json")[name]
    ours = _decoded(golden_outputs[name].output_folder)
    assert len(ours) == len(expected)
    for want, have in zip(expected, ours, strict=True):
        assert sample_mismatches(want, have, atol=FLOAT_ATOL) == []


def _gt_objects(sample: dict[str, Any]) -> dict[str, tuple[list[int], list[int], list[str]]]:
    out = {}

    def walk(node: dict[str, Any], path: str) -> None:
        if "instance_ids" in node:
            out[path] = (
                node["instance_ids"].tolist(),
                node["category_ids"].tolist(),
                list(node["category_names"]),
            )
            return
        for key, value in node.items():
            walk(value, f"{path}/{key}")

    walk(sample["gt_data"], "")
    return out


@pytest.mark.parametrize("name", list(GOLDEN_RUNS))
def test_ground_truth_objects_are_the_goldens(
    golden_outputs: dict[str, SequenceResult], golden_dir: Path, name: str
) -> None:
    ours = _decoded(golden_outputs[name].output_folder)
    golden = _decoded(golden_dir / "wds" / name)
    for mine, theirs in zip(ours, golden, strict=True):
        objects = _gt_objects(theirs)
        assert objects
        assert _gt_objects(mine) == objects


def test_images_are_pixel_exact_with_the_golden(
    golden_outputs: dict[str, SequenceResult], golden_dir: Path
) -> None:
    # Same decoder, same resampling, same JPEG encoder: the pixels should not merely be close.
    for name in GOLDEN_RUNS:
        for mine, theirs in zip(
            _decoded(golden_outputs[name].output_folder), _decoded(golden_dir / "wds" / name), strict=True
        ):
            for key, value in theirs.items():
                if isinstance(value, torch.Tensor) and value.dtype == torch.uint8:
                    assert torch.equal(mine[key], value), key


def test_the_efm_run_drops_the_samples_without_depth(golden_outputs: dict[str, SequenceResult]) -> None:
    result = golden_outputs["adt_efm_short"]
    # 6 rgb frames at 30 Hz, 2 per sample, stride 1: 5 planned; the depth stream has only 3 frames.
    assert (result.samples_planned, result.samples_written) == (5, 2)
    assert result.dropped == {"depth lacks frames within tolerance": 3}
    assert [record.path.name for record in result.shards] == ["shards-0000.tar"]


def test_the_tolerance_helper_catches_a_difference() -> None:
    golden = {"a": torch.tensor([1.0, math.nan]), "img": torch.zeros(1, 1, 2, 2, dtype=torch.uint8)}
    assert (
        differences(
            {"a": torch.tensor([1.0, math.nan]), "img": torch.ones(1, 1, 2, 2, dtype=torch.uint8)}, golden
        )
        == []
    )
    assert differences({"a": torch.tensor([1.001, math.nan]), "img": golden["img"]}, golden) != []
    assert differences({"a": torch.tensor([1.0, 0.0]), "img": golden["img"]}, golden) != []
    assert (
        differences({"a": golden["a"], "img": torch.full((1, 1, 2, 2), 2, dtype=torch.uint8)}, golden) != []
    )
