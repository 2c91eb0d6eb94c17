"""The public entry points keep the original's signatures and stage order."""

from __future__ import annotations

import dataclasses
import inspect
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, IterableDataset

import atek_store
from atek_store import (
    atek_default_collation_fn,
    create_native_atek_dataloader,
    load_atek_wds_dataset,
    simple_list_collation_fn,
)
from atek_store.errors import CacheError, ImageDecodeError, UsageError
from atek_store.loading import ImageLayout, LoaderOptions
from atek_store.loading.handler import HandlerMode
from tests.loading.test_errors import broken_jpeg_shard


def _names(fn: Any) -> list[str]:
    return list(inspect.signature(fn).parameters)


def test_signatures_match_the_original_positional_order() -> None:
    assert _names(load_atek_wds_dataset)[:8] == [
        "urls",
        "nodesplitter",
        "dict_key_mapping",
        "data_transform_fn",
        "batch_size",
        "collation_fn",
        "repeat_flag",
        "shuffle_flag",
    ]
    assert _names(create_native_atek_dataloader)[:9] == [
        "urls",
        "nodesplitter",
        "dict_key_mapping",
        "data_transform_fn",
        "collation_fn",
        "batch_size",
        "repeat_flag",
        "shuffle_flag",
        "num_workers",
    ]
    for fn in (load_atek_wds_dataset, create_native_atek_dataloader):
        params = inspect.signature(fn).parameters
        assert params["collation_fn"].default is atek_default_collation_fn
        for name in ("seed", "cache_dir", "handler"):
            assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
    assert _names(atek_default_collation_fn) == ["samples"]
    assert _names(simple_list_collation_fn) == ["samples"]
    assert {"create_native_atek_dataloader", "load_atek_wds_dataset"} <= set(atek_store.__all__)


def test_the_loader_is_a_torch_dataloader_without_batching_or_needless_pinning(small_urls: list[str]) -> None:
    loader = create_native_atek_dataloader(small_urls)
    assert isinstance(loader, DataLoader)
    assert isinstance(loader.dataset, IterableDataset)
    assert loader.batch_size is None
    assert loader.pin_memory is torch.cuda.is_available()
    dataset = load_atek_wds_dataset(small_urls)
    for method in ("set_epoch", "state_dict", "load_state_dict"):
        assert callable(getattr(dataset, method))


def test_positional_arguments_work_as_in_the_original(small_urls: list[str]) -> None:
    batches = list(
        create_native_atek_dataloader(small_urls[:2], None, None, None, simple_list_collation_fn, 3)
    )
    assert [len(b) for b in batches] == [3, 1]


def test_transform_sees_selected_and_renamed_samples_and_runs_before_batching(small_urls: list[str]) -> None:
    seen: list[set[str]] = []

    def transform(samples: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for sample in samples:
            seen.append(set(sample))
            image = sample["image"][0]
            yield {"key": sample["__key__"], "bgr": image[[2, 1, 0]].numpy(), "h": image.shape[1]}

    mapping = {"mfcd#camera-rgb+images": "image", "sequence_name": "seq"}
    loader = create_native_atek_dataloader(
        small_urls[:2], dict_key_mapping=mapping, data_transform_fn=transform, batch_size=2
    )
    batches = list(loader)
    assert seen[0] == {"__key__", "__url__", "image", "seq"}
    assert len(batches) == 2
    # a stacked numpy batch? no: the collation lists non-tensors, and the DataLoader turns numpy into tensors
    assert isinstance(batches[0]["bgr"], list)
    assert isinstance(batches[0]["bgr"][0], torch.Tensor)
    assert batches[0]["h"] == [48, 48]


def test_keys_outside_the_mapping_are_never_decoded(small_urls: list[str], tmp_path: Path) -> None:
    bad, _ = broken_jpeg_shard(small_urls[0], tmp_path / "bad.tar")
    samples = list(load_atek_wds_dataset([str(bad)], dict_key_mapping={"sequence_name": "seq"}))
    assert [s["seq"] for s in samples] == ["synthetic_seq_000"] * 2
    with pytest.raises(ImageDecodeError):
        list(load_atek_wds_dataset([str(bad)]))


def test_repeat_goes_on_forever(small_urls: list[str]) -> None:
    items = list(itertools.islice(load_atek_wds_dataset(small_urls[:1], repeat_flag=True), 7))
    assert len(items) == 7


def test_a_nodesplitter_is_applied_instead_of_the_rank_split(
    small_urls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    wds = pytest.importorskip("webdataset")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    ours = [s["__url__"] for s in load_atek_wds_dataset(small_urls)]
    theirs = [s["__url__"] for s in load_atek_wds_dataset(small_urls, nodesplitter=wds.split_by_node)]
    first_three = [
        s["__url__"] for s in load_atek_wds_dataset(small_urls, nodesplitter=lambda u: list(u)[:3])
    ]
    assert ours == theirs == [url for url in small_urls[1::2] for _ in range(2)]
    assert first_three == [url for url in small_urls[:3] for _ in range(2)]


def test_cache_dir_defaults_to_the_environment(
    small_urls: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ATEK_STORE_CACHE_DIR", str(tmp_path / "env-cache"))
    assert load_atek_wds_dataset(small_urls).config.options.cache_dir == tmp_path / "env-cache"
    chosen = load_atek_wds_dataset(small_urls, cache_dir=tmp_path / "x")
    assert chosen.config.options.cache_dir == tmp_path / "x"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"handler": "sometimes"}, "handler"),
        ({"dict_key_mapping": ["a"]}, "dict_key_mapping"),
        ({"shuffle_window": 0}, "shuffle_window"),
        ({"read_ahead": -1}, "read_ahead"),
        ({"read_ahead_connections": 0}, "read_ahead_connections"),
        ({"read_ahead_connections": True}, "read_ahead_connections"),
        ({"image_layout": "nhwc"}, "image_layout"),
        ({"seed": "abc"}, "seed must be an integer"),
    ],
)
def test_bad_arguments_are_refused_up_front(
    small_urls: list[str], kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(UsageError, match=match):
        load_atek_wds_dataset(small_urls, **kwargs)


def test_numpy_from_a_transform_becomes_tensors_like_the_original(small_urls: list[str]) -> None:
    def to_numpy(samples: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for _ in samples:
            yield {"x": np.ones(3)}

    (first, *_) = create_native_atek_dataloader(small_urls[:1], data_transform_fn=to_numpy)
    assert isinstance(first["x"], torch.Tensor)


def test_an_unusable_cache_folder_fails_up_front(small_urls: list[str], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(CacheError, match="cannot create"):
        load_atek_wds_dataset(small_urls, cache_dir=blocker / "cache")


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("shuffle_windw", "shuffle_window"),
        ("cache_max_byte", "cache_max_bytes"),
        ("prefetch_factr", "prefetch_factor"),
    ],
)
def test_a_misspelt_option_is_refused_naming_the_close_one(
    small_urls: list[str], name: str, suggestion: str
) -> None:
    with pytest.raises(
        UsageError, match=f"unknown loader option '{name}'; did you mean '{suggestion}'"
    ) as info:
        create_native_atek_dataloader(small_urls, **{name: 1})
    assert info.value.flag == name


def test_dataloader_options_are_refused_by_the_dataset_and_fixed_ones_by_the_loader(
    small_urls: list[str],
) -> None:
    with pytest.raises(UsageError, match="unknown loader option 'timeout'"):
        load_atek_wds_dataset(small_urls, timeout=3)
    with pytest.raises(UsageError, match="sets batch_sampler itself"):
        create_native_atek_dataloader(small_urls, batch_sampler=[1])
    with pytest.raises(UsageError, match="replaced by shuffle_window"):
        load_atek_wds_dataset(small_urls, shuffle_buffer_size=10)


def test_options_become_one_frozen_record(small_urls: list[str]) -> None:
    dataset = load_atek_wds_dataset(small_urls, seed=3, shuffle_window=4, image_layout="channels_last")
    options = dataset.config.options
    assert isinstance(options, LoaderOptions)
    assert (options.seed, options.shuffle_window, options.image_layout) == (3, 4, ImageLayout.CHANNELS_LAST)
    assert options.policy.mode is HandlerMode.RAISE
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.seed = 4  # type: ignore[misc]
