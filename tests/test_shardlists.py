"""local_* / streamable_* YAML lists: the original's exact format, atomic writes, a strict reader."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from atek_store import load_yaml_and_extract_tar_list
from atek_store.errors import ShardListError
from atek_store.shardlists import dump_shard_list, load_shard_list, shard_list_path, write_shard_lists

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=10)


def test_format_matches_the_originals_yaml_dump() -> None:
    tars = {"seq_d": ["seq_d/shards-0001.tar"], "seq_b": ["seq_b/shards-0000.tar", "seq_b/shards-0001.tar"]}
    text = dump_shard_list(tars)
    assert text == (
        "tars:\n"
        "  seq_b:\n"
        "  - seq_b/shards-0000.tar\n"
        "  - seq_b/shards-0001.tar\n"
        "  seq_d:\n"
        "  - seq_d/shards-0001.tar\n"
    )
    assert text == yaml.dump({"tars": tars}, default_flow_style=False)


def test_empty_split_is_an_empty_mapping() -> None:
    assert dump_shard_list({}) == "tars: {}\n"


def test_numeric_sequence_names_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "local_all_tars.yaml"
    path.write_text(dump_shard_list({"82832": ["82832/shards-0000.tar"]}))
    assert load_shard_list(path) == {"82832": ["82832/shards-0000.tar"]}


def test_write_shard_lists_writes_all_train_validation(tmp_path: Path) -> None:
    paths = write_shard_lists(tmp_path, train={"a": ["a/s.tar"]}, validation={"b": ["b/s.tar"]}, local=True)
    assert paths["all"] == shard_list_path(tmp_path, local=True, split="all")
    assert load_shard_list(paths["all"]) == {"a": ["a/s.tar"], "b": ["b/s.tar"]}
    assert load_shard_list(paths["validation"]) == {"b": ["b/s.tar"]}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "local_all_tars.yaml",
        "local_train_tars.yaml",
        "local_validation_tars.yaml",
    ]


def test_relative_paths_resolve_against_the_yaml_folder_and_urls_stay(tmp_path: Path) -> None:
    path = tmp_path / "lists" / "local_all_tars.yaml"
    path.parent.mkdir()
    path.write_text(
        "tars:\n  b:\n  - b/shards-0000.tar\n  - https://cdn/x.tar?sig=1\n  a:\n  - /abs/a.tar\n  - file:///srv/c%20d.tar\n"
    )
    assert load_yaml_and_extract_tar_list(path) == [
        os.path.join(str(path.parent), "b/shards-0000.tar"),
        "https://cdn/x.tar?sig=1",
        "/abs/a.tar",
        "/srv/c d.tar",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "expected a mapping with a 'tars' key"),
        ("- a\n- b\n", "expected a mapping"),
        ("other: 1\n", "'tars' key"),
        ("tars: [1, 2]\n", "'tars' must map"),
        ("tars:\n  a: 3\n", "tars.a must be a list"),
        ("tars:\n  a:\n  - 3\n", "tars.a must be a list"),
        ("tars: {a: [\n", "not valid YAML"),
        ("tars:\n  a:\n  - s3://bucket/x.tar\n", "unsupported URL scheme 's3'"),
    ],
)
def test_malformed_lists_raise_shard_list_error_naming_the_file(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "local_all_tars.yaml"
    path.write_text(content)
    with pytest.raises(ShardListError, match=message) as info:
        load_yaml_and_extract_tar_list(path)
    assert str(path) in str(info.value)


def test_missing_list_is_a_shard_list_error(tmp_path: Path) -> None:
    with pytest.raises(ShardListError, match="not found"):
        load_yaml_and_extract_tar_list(tmp_path / "nope.yaml")


def test_empty_tars_reads_as_no_shards(tmp_path: Path) -> None:
    path = tmp_path / "l.yaml"
    path.write_text("tars: {}\n")
    assert load_yaml_and_extract_tar_list(path) == []
    path.write_text("tars:\n")
    assert load_yaml_and_extract_tar_list(path) == []


@settings(max_examples=60, deadline=None)
@given(tars=st.dictionaries(names, st.lists(names.map(lambda n: n + ".tar"), max_size=4), max_size=6))
def test_write_then_read_round_trips(
    tmp_path_factory: pytest.TempPathFactory, tars: dict[str, list[str]]
) -> None:
    folder = tmp_path_factory.mktemp("rt")
    local = {seq: [f"{seq}/{shard}" for shard in shards] for seq, shards in tars.items()}
    paths = write_shard_lists(folder, train=local, validation={}, local=True)
    assert load_shard_list(paths["train"]) == dict(sorted(local.items()))
    expected = [os.path.join(str(folder), entry) for seq in sorted(local) for entry in local[seq]]
    assert load_yaml_and_extract_tar_list(paths["all"]) == expected
