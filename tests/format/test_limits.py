"""Ceilings are settable: a frozen record passed in, or ``ATEK_STORE_READ_LIMITS`` for every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from atek_store import load_atek_wds_dataset
from atek_store.errors import FormatError, ImageDecodeError, UsageError
from atek_store.format import ReadLimits, iter_shard
from atek_store.format.limits import read_limits
from atek_store.viz import summarize_shard

EFM = Path("wds") / "adt_efm_short" / "shards-0000.tar"


def test_limits_parse_sizes_with_binary_suffixes() -> None:
    limits = ReadLimits.parse("max_member_bytes=1G, max_image_pixels=64M,max_json_depth=8")
    assert limits == ReadLimits(max_member_bytes=1 << 30, max_image_pixels=64 << 20, max_json_depth=8)
    assert ReadLimits.parse("") == ReadLimits()


@pytest.mark.parametrize(
    "text",
    [
        "max_member=1",
        "max_member_bytes",
        "max_member_bytes=-1",
        "max_member_bytes=1X",
        "max_frames=0",
        "max_frames=2\u00b2",  # a superscript two is a digit to str.isdigit(), not to int()
    ],
)
def test_malformed_limits_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="max_"):
        ReadLimits.parse(text)


def test_a_limit_must_be_a_positive_integer() -> None:
    with pytest.raises(UsageError, match="max_image_pixels"):
        ReadLimits(max_image_pixels=0)
    with pytest.raises(UsageError, match="max_json_depth"):
        ReadLimits(max_json_depth=2.5)  # type: ignore[arg-type]


def test_the_environment_overrides_the_defaults_but_not_explicit_limits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ATEK_STORE_READ_LIMITS", "max_frames=7")
    assert read_limits().max_frames == 7
    assert read_limits(ReadLimits()).max_frames == ReadLimits().max_frames
    monkeypatch.setenv("ATEK_STORE_READ_LIMITS", "nonsense")
    with pytest.raises(UsageError, match="ATEK_STORE_READ_LIMITS"):
        read_limits()


def test_every_reader_honours_the_limits_it_is_given(
    golden_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shard = golden_dir / EFM
    small = ReadLimits(max_image_pixels=240 * 240 - 1)
    with pytest.raises(ImageDecodeError, match="max_image_pixels"):
        list(iter_shard(shard, limits=small))
    with pytest.raises(ImageDecodeError, match="max_image_pixels"):
        list(load_atek_wds_dataset([str(shard)], read_limits=small))
    with pytest.raises(ImageDecodeError, match="max_image_pixels"):
        summarize_shard(shard, limits=small)
    monkeypatch.setenv("ATEK_STORE_READ_LIMITS", "max_member_bytes=64k")
    with pytest.raises(FormatError, match="max_member_bytes=65536"):
        list(iter_shard(shard))
    monkeypatch.delenv("ATEK_STORE_READ_LIMITS")
    assert len(list(iter_shard(shard))) == 2
