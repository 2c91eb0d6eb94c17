"""WebDataset-decoded samples, assembled by ``assemble_wds_sample``, are the original loader's samples."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
import torch
import webdataset as wds
from hypothesis import given
from hypothesis import strategies as st

from atek_store.errors import FormatError, IncompleteSampleError, UnknownMemberError
from atek_store.format.wds_sample import (
    assemble_wds_sample,
    concat_list_of_tensors,
    merge_tensors_into_dict,
    set_nested_dict_value,
    unpack_list_of_tensors,
)
from tests.golden import load_expected, sample_mismatches


# WebDataset 1.0.2 leaves each shard's file for the garbage collector to close.
@pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning")
@pytest.mark.parametrize("name", ["adt_cubercnn", "adt_efm_short"])
def test_a_webdataset_pipeline_mapping_it_yields_the_original_samples(golden_dir: Path, name: str) -> None:
    expected = load_expected(golden_dir / "expected_native.json")[name]
    urls = [str(path) for path in sorted((golden_dir / "wds" / name).glob("*.tar"))]
    # The pipeline EFM3D's training loader builds (decoding is WebDataset's own: Pillow, torch.load).
    pipeline = (
        wds.WebDataset(urls, shardshuffle=False)
        .decode(wds.imagehandler("torchrgb8"))
        .map(assemble_wds_sample)
    )
    samples = list(pipeline)
    gc.collect()  # the unclosed shard's warning belongs to this test
    assert len(samples) == len(expected)
    for want, have in zip(expected, samples, strict=True):
        assert sample_mismatches(want, have) == []
        # The original's key order (expected_native.json keeps it).
        assert [key for key in have if key not in ("__url__", "__local_path__")] == list(want)


def test_members_the_format_does_not_use_are_refused() -> None:
    with pytest.raises(UnknownMemberError, match="'x.npy'"):
        assemble_wds_sample({"__key__": "k", "x.npy": b""})
    with pytest.raises(UnknownMemberError, match="images.jpeg"):
        assemble_wds_sample({"__key__": "k", "mfcd#camera-rgb+images.jpeg": torch.zeros(3, 2, 2)})
    with pytest.raises(FormatError, match="imagehandler"):
        assemble_wds_sample({"mfcd#camera-rgb+images_0.jpeg": b"\xff\xd8"})
    with pytest.raises(IncompleteSampleError, match="points_world_lengths"):
        assemble_wds_sample({"msdpd#points_world+stacked.pth": torch.zeros(2, 3)})


def test_frames_are_stacked_by_index_and_gray_cameras_keep_one_channel() -> None:
    frames = {
        f"mfcd#camera-slam-left+images_{i}.jpeg": torch.full((3, 2, 2), i, dtype=torch.uint8) for i in (10, 2)
    }
    sample = assemble_wds_sample(
        {
            "__key__": "k",
            **frames,
            "gt_data.json": {"a": {"n": 1}},
            "gt_data#a+t.pth": torch.ones(1, dtype=torch.float64),
        }
    )
    assert sample["mfcd#camera-slam-left+images"].shape == (2, 1, 2, 2)
    assert sample["mfcd#camera-slam-left+images"][:, 0, 0, 0].tolist() == [2, 10]
    assert sample["gt_data"] == {"a": {"n": 1, "t": torch.ones(1)}}
    assert sample["gt_data"]["a"]["t"].dtype == torch.float32


def test_set_nested_dict_value_replaces_what_is_not_a_dict_on_the_way() -> None:
    tree: dict[str, object] = {"a": 1}
    set_nested_dict_value(tree, ["a", "b", "c"], 2)
    assert tree == {"a": {"b": {"c": 2}}}
    source = {"x": {"y": [1]}}
    merged = merge_tensors_into_dict(source, {"x+z": torch.zeros(1)})
    assert source == {"x": {"y": [1]}}  # a deep copy is merged into
    assert set(merged["x"]) == {"y", "z"}


@given(st.lists(st.integers(min_value=0, max_value=4), max_size=6))
def test_concat_then_unpack_gives_the_lists_back(lengths: list[int]) -> None:
    tensors = [torch.arange(n * 3, dtype=torch.float32).reshape(n, 3) + i for i, n in enumerate(lengths)]
    stacked, counts = concat_list_of_tensors(tensors)
    assert counts.tolist() == (lengths if lengths else [])
    back = unpack_list_of_tensors(stacked, counts) if lengths else []
    assert [t.tolist() for t in back] == [t.tolist() for t in tensors]


def test_unpack_refuses_lengths_that_do_not_add_up() -> None:
    with pytest.raises(IncompleteSampleError, match=r"\[1, 1\]"):
        unpack_list_of_tensors(torch.zeros(3, 3), torch.tensor([1, 1]))
