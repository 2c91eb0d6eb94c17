"""Walking ROOT/<config>/<sequence>/shards-NNNN.tar."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from atek_store.errors import StoreError
from atek_store.store.layout import discover_shards, shard_key
from tests.store.builders import write_shard


def test_shards_are_found_sorted_with_their_relative_paths(tmp_path: Path) -> None:
    for relpath in [
        "efm/b/shards-0001.tar",
        "efm/b/shards-0000.tar",
        "cubercnn/a/shards-0000.tar",
        "efm/a/shards-0000.tar",
    ]:
        write_shard(tmp_path / relpath)
    shards = discover_shards(tmp_path)
    assert [s.relpath for s in shards] == [
        "cubercnn/a/shards-0000.tar",
        "efm/a/shards-0000.tar",
        "efm/b/shards-0000.tar",
        "efm/b/shards-0001.tar",
    ]
    assert [s.index for s in shards] == [0, 0, 0, 1]
    assert shards[3].config == "efm"
    assert shards[3].sequence == "b"


def test_hidden_entries_and_other_files_are_not_published(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_shard(tmp_path / "efm" / "a" / "shards-0000.tar")
    write_shard(tmp_path / ".trash" / "a" / "shards-0000.tar")
    write_shard(tmp_path / "efm" / ".hidden" / "shards-0000.tar")
    (tmp_path / "efm" / "a" / "shards-0001.tar.part").write_bytes(b"partial")
    (tmp_path / "efm" / "a" / "other.tar").write_bytes(b"x")
    (tmp_path / "ADT_ATEK_download_urls.json").write_text("{}")
    with caplog.at_level(logging.WARNING):
        shards = discover_shards(tmp_path)
    assert [s.relpath for s in shards] == ["efm/a/shards-0000.tar"]
    assert "other.tar" in caplog.text


def test_a_gap_in_shard_numbers_is_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write_shard(tmp_path / "efm" / "a" / "shards-0000.tar")
    write_shard(tmp_path / "efm" / "a" / "shards-0002.tar")
    with caplog.at_level(logging.WARNING):
        assert len(discover_shards(tmp_path)) == 2
    assert "not numbered" in caplog.text


@pytest.mark.parametrize("name", ["bad name", "x$y", "a\\b", "naïve"])
def test_unusable_sequence_names_are_refused(tmp_path: Path, name: str) -> None:
    write_shard(tmp_path / "efm" / name / "shards-0000.tar")
    with pytest.raises(StoreError, match="sequence name"):
        discover_shards(tmp_path)


def test_an_empty_root_is_refused(tmp_path: Path) -> None:
    (tmp_path / "efm" / "a").mkdir(parents=True)
    with pytest.raises(StoreError, match="no shards found"):
        discover_shards(tmp_path)


def test_a_missing_root_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a folder"):
        discover_shards(tmp_path / "missing")


def test_a_shard_linked_from_outside_the_root_is_refused(tmp_path: Path) -> None:
    outside = write_shard(tmp_path / "elsewhere" / "shards-0000.tar")
    root = tmp_path / "root"
    (root / "efm" / "a").mkdir(parents=True)
    (root / "efm" / "a" / "shards-0000.tar").symlink_to(outside)
    with pytest.raises(StoreError, match="outside the store root"):
        discover_shards(root)


def test_shard_key_replaces_dots() -> None:
    assert shard_key("shards-0000.tar") == "shards-0000_tar"
