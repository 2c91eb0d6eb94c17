"""The URL JSON model: validation with precise messages, hostile names refused."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from atek_store.errors import ManifestError, UnsafeNameError, UsageError
from atek_store.manifest import check_safe_name, load_manifest, parse_manifest, shard_file_name

SHA = "a" * 40


def document(sequences: dict[str, dict[str, Any]] | None = None, config: str = "efm") -> dict[str, Any]:
    shard = {
        "filename": "X_shards-0000.tar",
        "sha1sum": SHA,
        "file_size_bytes": 10,
        "download_url": "https://h/x.tar",
    }
    if sequences is None:
        sequences = {"seq_a": {"shards-0000_tar": dict(shard), "shards-0001_tar": dict(shard)}, "seq_b": {}}
    return {
        "raw_dataset_name": "ADT",
        "raw_dataset_release_version": "v1",
        "atek_data_for_all_configs": {
            config: {"wds_file_urls": sequences, "other_key": 1},
            "cubercnn": {"wds_file_urls": {}},
        },
    }


def test_parses_configs_sequences_and_shards_in_json_order() -> None:
    manifest = parse_manifest(document(), source="urls.json")
    assert manifest.dataset_name == "ADT"
    assert set(manifest.configs) == {"efm", "cubercnn"}
    efm = manifest.config("efm")
    assert list(efm.sequences) == ["seq_a", "seq_b"]
    shards = efm.sequences["seq_a"].shards
    assert [s.key for s in shards] == ["shards-0000_tar", "shards-0001_tar"]
    assert shards[0].relpath == "seq_a/shards-0000.tar"
    assert shards[0].remote_file_name == "X_shards-0000.tar"
    assert efm.shard_count == 2
    assert efm.total_bytes == 20


def test_load_manifest_records_digest_and_mtime(tmp_path: Path) -> None:
    path = tmp_path / "urls.json"
    path.write_text(json.dumps(document()))
    manifest = load_manifest(path)
    assert len(manifest.sha256) == 64
    assert manifest.modified_at is not None
    age = manifest.age_days()
    assert age is not None
    assert age < 1


def test_unknown_config_lists_the_available_ones() -> None:
    manifest = parse_manifest(document(), source="urls.json")
    with pytest.raises(UsageError, match=r"'nope'.*available configs: cubercnn, efm"):
        manifest.config("nope")
    with pytest.raises(UsageError, match="--config-name is required"):
        manifest.config(None)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("atek_data_for_all_configs"), "atek_data_for_all_configs"),
        (lambda d: d["atek_data_for_all_configs"]["efm"].pop("wds_file_urls"), "config 'efm'.*wds_file_urls"),
        (
            lambda d: d["atek_data_for_all_configs"]["efm"]["wds_file_urls"].__setitem__("s", []),
            "sequence 's'",
        ),
        (
            lambda d: d["atek_data_for_all_configs"]["efm"]["wds_file_urls"]["seq_a"]["shards-0000_tar"].pop(
                "sha1sum"
            ),
            "sequence 'seq_a', shard 'shards-0000_tar': missing sha1sum",
        ),
        (
            lambda d: d["atek_data_for_all_configs"]["efm"]["wds_file_urls"]["seq_a"][
                "shards-0000_tar"
            ].__setitem__("sha1sum", "xyz"),
            "'sha1sum' must be 40 hex digits",
        ),
        (
            lambda d: d["atek_data_for_all_configs"]["efm"]["wds_file_urls"]["seq_a"][
                "shards-0001_tar"
            ].__setitem__("file_size_bytes", -1),
            "shard 'shards-0001_tar': 'file_size_bytes' must be a non-negative integer",
        ),
        (
            lambda d: d["atek_data_for_all_configs"]["efm"]["wds_file_urls"]["seq_a"][
                "shards-0001_tar"
            ].__setitem__("file_size_bytes", True),
            "file_size_bytes",
        ),
        (
            lambda d: d["atek_data_for_all_configs"]["efm"]["wds_file_urls"]["seq_a"][
                "shards-0001_tar"
            ].__setitem__("download_url", "ftp://h/x"),
            "must be an http or https URL",
        ),
    ],
)
def test_malformed_json_names_the_key_and_what_was_expected(mutate: Any, message: str) -> None:
    data = copy.deepcopy(document())
    mutate(data)
    with pytest.raises(ManifestError, match=message):
        parse_manifest(data, source="urls.json")


def test_not_json_and_missing_file_are_manifest_errors(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="not found"):
        load_manifest(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(ManifestError, match="not valid JSON"):
        load_manifest(bad)
    with pytest.raises(ManifestError, match="top level"):
        parse_manifest([1, 2])


@pytest.mark.parametrize(
    "name",
    [
        "../../x",
        "..",
        ".",
        "a/b",
        "a\\b",
        "/abs",
        "C:evil",
        "with\x00nul",
        "ctl\x07",
        "",
        "local_all_tars.yaml",
        ".atek_store",
    ],
)
def test_unsafe_names_are_refused(name: str) -> None:
    with pytest.raises(UnsafeNameError):
        check_safe_name(name, what="sequence name", where="urls.json")


@pytest.mark.parametrize("name", ["82832", "Apartment_release_clean_seq131_M1292", "shards-0000.tar", "a.b"])
def test_plain_names_are_accepted(name: str) -> None:
    assert check_safe_name(name, what="sequence name", where="x") == name


def test_hostile_sequence_and_shard_key_are_refused_with_their_location() -> None:
    shard = {"sha1sum": SHA, "file_size_bytes": 1, "download_url": "https://h/x"}
    with pytest.raises(UnsafeNameError, match=r"config 'efm'.*'\.\./\.\./x'"):
        parse_manifest(document({"../../x": {"shards-0000_tar": shard}}))
    with pytest.raises(UnsafeNameError, match=r"sequence 'ok'.*'a/b'.*path separator"):
        parse_manifest(document({"ok": {"a/b": shard}}))
    with pytest.raises(UnsafeNameError, match="absolute"):
        parse_manifest(document({"C:x": {"k_tar": shard}}))


def test_file_urls_need_explicit_permission() -> None:
    shard = {"sha1sum": SHA, "file_size_bytes": 1, "download_url": "file:///tmp/x.tar"}
    with pytest.raises(ManifestError, match="--allow-file-urls"):
        parse_manifest(document({"s": {"k_tar": shard}}))
    manifest = parse_manifest(document({"s": {"k_tar": shard}}), allow_file_urls=True)
    assert manifest.config("efm").sequences["s"].shards[0].url == "file:///tmp/x.tar"


def test_two_keys_mapping_to_one_file_are_refused() -> None:
    shard = {"sha1sum": SHA, "file_size_bytes": 1, "download_url": "https://h/x"}
    with pytest.raises(ManifestError, match="maps to file 'shards-0000.tar'"):
        parse_manifest(document({"s": {"shards-0000_tar": shard, "shards-0000.tar": shard}}))


def test_part_suffix_is_reserved() -> None:
    shard = {"sha1sum": SHA, "file_size_bytes": 1, "download_url": "https://h/x"}
    with pytest.raises(UnsafeNameError, match=r"\.part"):
        parse_manifest(document({"s": {"x.part": shard}}))


@pytest.mark.parametrize(
    ("key", "name"),
    [("shards-0000_tar", "shards-0000.tar"), ("my_tarball_tar", "my_tarball.tar"), ("plain", "plain")],
)
def test_shard_file_name_replaces_only_the_trailing_tar(key: str, name: str) -> None:
    assert shard_file_name(key) == name


def test_sha1_is_normalised_to_lower_case() -> None:
    shard = {"sha1sum": "ABCDEF" + "0" * 34, "file_size_bytes": 1, "download_url": "https://h/x"}
    manifest = parse_manifest(document({"s": {"k_tar": shard}}))
    assert manifest.config("efm").sequences["s"].shards[0].sha1 == "abcdef" + "0" * 34


def test_earliest_url_expiry_is_read_from_signed_urls() -> None:
    shard = {
        "sha1sum": SHA,
        "file_size_bytes": 1,
        "download_url": "https://h/x?Expires=1700000000&Signature=s",
    }
    later = dict(shard, download_url="https://h/y?Expires=1800000000")
    manifest = parse_manifest(document({"s": {"a_tar": shard, "b_tar": later}}))
    assert manifest.earliest_url_expiry() == 1700000000.0


@pytest.mark.parametrize(
    "url", ["https:///x?Signature=SECRET", "http://h:99999/x?Signature=SECRET", "https://u:SECRET@/x"]
)
def test_a_refused_url_is_named_without_its_secrets(url: str) -> None:
    shard = {"sha1sum": SHA, "file_size_bytes": 1, "download_url": url}
    with pytest.raises(ManifestError, match="download_url") as caught:
        parse_manifest(document({"s": {"k_tar": shard}}))
    assert "SECRET" not in str(caught.value)


def test_an_expiry_that_is_no_ascii_number_is_ignored() -> None:
    shard = {"sha1sum": SHA, "file_size_bytes": 1, "download_url": "https://h/x?Expires=%C2%B2"}
    later = dict(shard, download_url="https://h/y?Expires=1800000000")
    manifest = parse_manifest(document({"s": {"a_tar": shard, "b_tar": later}}))
    assert manifest.earliest_url_expiry() == 1800000000.0
