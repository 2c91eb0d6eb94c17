"""The adaptor protocol: a user's subclass maps keys, converts per sample, drops samples, names bad ones."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest
import torch

from atek_store.adaptors import ModelAdaptor, remap_keys
from atek_store.errors import AdaptorError
from atek_store.format import iter_shard


class DepthAdaptor(ModelAdaptor):
    """What a user writes: depth frames and poses for a depth model, dropping samples without depth."""

    key_mapping: ClassVar[Mapping[str, str]] = {
        "mfcd#camera-rgb-depth+images": "depth",
        "mtd#ts_world_device": "poses",
    }

    def convert(self, sample: dict[str, Any]) -> dict[str, Any] | None:
        if "depth" not in sample:
            return None
        depth = self.require(sample, "depth", torch.Tensor)
        return {
            "key": sample["__key__"],
            "depth": depth[:, 0],
            "poses": self.require(sample, "poses", torch.Tensor),
        }


def _efm_samples(golden_dir: Path) -> list[dict[str, Any]]:
    return list(iter_shard(golden_dir / "wds" / "adt_efm_short" / "shards-0000.tar"))


def test_remap_keeps_mapped_keys_renamed_plus_key_and_url() -> None:
    sample = {"__key__": "k", "__url__": "u", "__local_path__": "p", "a": 1, "b": 2}
    assert remap_keys(sample, {"a": "x", "missing": "y"}) == {"__key__": "k", "__url__": "u", "x": 1}


def test_a_user_adaptor_is_a_data_transform_fn(golden_dir: Path) -> None:
    adaptor = DepthAdaptor()
    samples = _efm_samples(golden_dir)
    remapped = [remap_keys(s, adaptor.get_dict_key_mapping_all()) for s in samples]
    converted = list(adaptor(iter(remapped)))
    assert [c["key"] for c in converted] == [s["__key__"] for s in samples]
    assert converted[0]["depth"].shape == (2, 240, 240)
    assert converted[0]["poses"].shape == (2, 3, 4)


def test_returning_none_drops_the_sample(golden_dir: Path) -> None:
    adaptor = DepthAdaptor()
    samples = _efm_samples(golden_dir)
    without_depth = {k: v for k, v in samples[0].items() if k != "mfcd#camera-rgb-depth+images"}
    kept = list(adaptor.transform(remap_keys(s, adaptor.key_mapping) for s in [without_depth, samples[1]]))
    assert [c["key"] for c in kept] == [samples[1]["__key__"]]
    assert adaptor.adapt(without_depth) is None


def test_require_names_the_sample_the_model_key_and_the_atek_key(golden_dir: Path) -> None:
    sample = _efm_samples(golden_dir)[0]
    broken = {**sample, "mtd#ts_world_device": [1, 2, 3]}
    with pytest.raises(AdaptorError) as caught:
        DepthAdaptor().adapt(broken)
    message = str(caught.value)
    assert sample["__key__"] in message
    assert sample["__url__"] in message
    assert "'poses'" in message
    assert "mtd#ts_world_device" in message
    assert "expected a Tensor" in message
    assert caught.value.key == "poses"


def test_get_dict_key_mapping_all_is_a_fresh_copy() -> None:
    mapping = DepthAdaptor.get_dict_key_mapping_all()
    mapping["x"] = "y"
    assert "x" not in DepthAdaptor.key_mapping


def test_a_user_adaptor_gets_a_dataloader_of_lists(golden_dir: Path) -> None:
    shard = str(golden_dir / "wds" / "adt_efm_short" / "shards-0000.tar")
    (batch,) = list(DepthAdaptor().create_dataloader([shard], batch_size=4))
    assert isinstance(batch, list)
    assert [item["key"] for item in batch] == ["_AtekDataSample_000000", "_AtekDataSample_000001"]
    assert batch[1]["depth"].shape == (2, 240, 240)
