"""Key selection keeps the original's precedence: of two keys mapped to one name, the later one wins."""

from __future__ import annotations

from pathlib import Path

import torch

from atek_store import create_native_atek_dataloader
from atek_store.format import iter_shard
from atek_store.loading.keymap import in_original_key_order, remap_keys, select_and_remap_dict_keys
from tests.golden import load_expected


def test_decoded_samples_are_put_in_the_original_loaders_key_order(golden_dir: Path) -> None:
    expected = load_expected(golden_dir / "expected_native.json")
    for name in ("adt_cubercnn", "adt_efm_short"):
        shard = golden_dir / "wds" / name / "shards-0000.tar"
        for want, sample in zip(expected[name], iter_shard(shard), strict=True):
            ordered = [
                key for key in in_original_key_order(sample) if key not in ("__url__", "__local_path__")
            ]
            # expected_native.json lists each sample's keys in the order the original's dict has them.
            assert ordered == list(want)


def test_the_key_later_in_the_original_sample_wins_whatever_the_mapping_order(golden_dir: Path) -> None:
    urls = [str(golden_dir / "wds" / "adt_efm_short" / "shards-0000.tar")]
    # In the original's samples the image stacks come after every .pth member, and the unpacked
    # semidense lists after the image stacks.
    for mapping in (
        {"mtd#ts_world_device": "x", "mfcd#camera-rgb+images": "x", "msdpd#points_world": "p"},
        {"msdpd#points_world": "p", "mfcd#camera-rgb+images": "x", "mtd#ts_world_device": "x"},
    ):
        mapping_with_stacked = {**mapping, "msdpd#points_world+stacked": "p"}
        for sample in create_native_atek_dataloader(urls, dict_key_mapping=mapping_with_stacked):
            # A name keeps the place of its first key (msdpd# sorts before mtd#), the value of its last.
            assert list(sample) == ["__key__", "__url__", "p", "x"]
            assert sample["x"].dtype == torch.uint8  # the rgb images, not the float poses
            assert isinstance(sample["p"], list)  # the unpacked list, not the stacked tensor


def test_select_and_remap_walks_the_given_dict_in_its_order() -> None:
    sample = {"b": 1, "__key__": "k", "a": 2, "c": 3, "__local_path__": "/x"}
    assert select_and_remap_dict_keys(sample, {"a": "same", "b": "same"}) == {"same": 2, "__key__": "k"}
    assert list(select_and_remap_dict_keys(sample, {"c": "C", "b": "B"})) == ["B", "__key__", "C"]
    # remap_keys first orders a decoded sample as the original does: "a." sorts before "b.".
    assert remap_keys(sample, {"a": "same", "b": "same"}) == {"__key__": "k", "same": 1}
