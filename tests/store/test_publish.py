"""Publishing a folder of shards: the URL JSON in the real format, plain or signed, served for real."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest
import urllib3

from atek_store import publish_store, start_store_server
from atek_store.errors import StoreError, TruncatedShardError, UsageError
from tests.store.builders import build_store, sha1_of

SECRET = "publish-test-secret-0123456789"


@pytest.fixture
def store(tmp_path: Path, golden_dir: Path) -> Path:
    return build_store(tmp_path / "store", golden_dir)


def entries(document: dict) -> dict[str, dict]:
    """Every shard entry keyed by config/sequence/key."""
    found = {}
    for config, body in document["atek_data_for_all_configs"].items():
        for sequence, shards in body["wds_file_urls"].items():
            for key, entry in shards.items():
                found[f"{config}/{sequence}/{key}"] = entry
    return found


def test_plain_publish_writes_the_real_url_json_format(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "ADT_ATEK_download_urls.json"
    report = publish_store(
        store, dataset_name="ADT", base_url="http://127.0.0.1:8080/", out=out, release_version="2.0"
    )
    document = json.loads(out.read_text())
    assert list(document) == ["raw_dataset_name", "raw_dataset_release_version", "atek_data_for_all_configs"]
    assert document["raw_dataset_name"] == "ADT"
    assert document["raw_dataset_release_version"] == "2.0"
    assert list(document["atek_data_for_all_configs"]) == ["cubercnn", "efm"]
    assert list(document["atek_data_for_all_configs"]["efm"]) == ["wds_file_urls"]
    assert list(document["atek_data_for_all_configs"]["efm"]["wds_file_urls"]["seqB"]) == [
        "shards-0000_tar",
        "shards-0001_tar",
    ]
    found = entries(document)
    assert sorted(found) == [
        "cubercnn/seqA/shards-0000_tar",
        "efm/seqB/shards-0000_tar",
        "efm/seqB/shards-0001_tar",
        "efm/seqC/shards-0000_tar",
    ]
    entry = found["efm/seqB/shards-0001_tar"]
    assert list(entry) == ["filename", "sha1sum", "file_size_bytes", "download_url"]
    assert entry["filename"] == "ADT_ATEK_efm_seqB_shards-0001.tar"
    assert entry["sha1sum"] == sha1_of(store / "efm/seqB/shards-0001.tar")
    assert entry["file_size_bytes"] == (store / "efm/seqB/shards-0001.tar").stat().st_size
    assert entry["download_url"] == "http://127.0.0.1:8080/efm/seqB/shards-0001.tar"
    assert report.shards == 4
    assert report.sequences == 3
    assert report.configs == ("cubercnn", "efm")
    assert report.expires_at is None
    assert report.total_bytes == sum(e["file_size_bytes"] for e in found.values())
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]  # no temporary left behind


def test_signed_publish_is_served_by_a_server_with_the_same_secret(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "urls.json"
    http = urllib3.PoolManager(retries=False, timeout=30)
    with start_store_server(store, secret=SECRET) as server:
        report = publish_store(
            store, dataset_name="ADT", base_url=server.url, out=out, sign=True, secret=SECRET, ttl_days=30
        )
        assert report.expires_at is not None
        assert abs(report.expires_at - (time.time() + 30 * 86400)) < 60
        found = entries(json.loads(out.read_text()))
        for entry in found.values():
            assert f"Expires={report.expires_at}" in entry["download_url"]
            response = http.request("GET", entry["download_url"])
            assert response.status == 200
            assert hashlib.sha1(response.data, usedforsecurity=False).hexdigest() == entry["sha1sum"]
            assert len(response.data) == entry["file_size_bytes"]
            unsigned = entry["download_url"].split("?")[0]
            assert http.request("GET", unsigned).status == 403


def test_urls_published_31_days_ago_are_refused_as_expired(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "urls.json"
    http = urllib3.PoolManager(retries=False, timeout=30)
    with start_store_server(store, secret=SECRET) as server:
        publish_store(
            store,
            dataset_name="ADT",
            base_url=server.url,
            out=out,
            sign=True,
            secret=SECRET,
            now=time.time() - 31 * 86400,
        )
        url = next(iter(entries(json.loads(out.read_text())).values()))["download_url"]
        response = http.request("GET", url)
    assert response.status == 403
    assert "expired" in response.data.decode()


def test_a_bad_shard_stops_publishing_and_keeps_the_old_json(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "urls.json"
    out.write_text('{"old": true}')
    bad = store / "efm" / "seqC" / "shards-0000.tar"
    bad.write_bytes(bad.read_bytes()[:3000])
    with pytest.raises(TruncatedShardError, match="tar ends") as info:
        publish_store(store, dataset_name="ADT", base_url="http://h", out=out)
    assert info.value.shard == str(bad)
    assert out.read_text() == '{"old": true}'


def test_the_default_json_name_follows_the_store_convention(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    report = publish_store(store, dataset_name="AriaDigitalTwin", base_url="http://h")
    assert report.out == Path("AriaDigitalTwin_ATEK_download_urls.json")
    assert (tmp_path / "AriaDigitalTwin_ATEK_download_urls.json").is_file()


def test_progress_reports_every_checked_shard(store: Path, tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    publish_store(
        store,
        dataset_name="ADT",
        base_url="http://h",
        out=tmp_path / "u.json",
        progress=lambda *a: calls.append(a),
    )
    assert calls[-1] == ("check", 4, 4)
    assert [c[1] for c in calls] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("options", "flag"),
    [
        ({}, "--base-url"),
        ({"base_url": "http://h", "s3_url": "s3://b/p"}, "--base-url"),
        ({"base_url": "ftp://h"}, "--base-url"),
        ({"base_url": "http://h?x=1"}, "--base-url"),
        ({"base_url": "http://h", "sign": True}, "--sign needs a secret"),
        ({"base_url": "http://h", "secret": SECRET}, "--sign"),
        ({"base_url": "http://h", "ttl_days": 3}, "--ttl-days"),
        ({"base_url": "http://h", "sign": True, "secret": SECRET, "ttl_days": 0}, "--ttl-days"),
        ({"s3_url": "s3://b/p", "ttl_days": 8}, "7 days"),
        ({"s3_url": "s3://b/p", "sign": True, "secret": SECRET}, "--sign"),
        ({"base_url": "http://h", "endpoint_url": "http://e"}, "--endpoint-url"),
        ({"base_url": "http://h", "workers": 0}, "--workers"),
        ({"base_url": "http://h", "check": "some"}, "--check"),
        ({"base_url": "http://h", "dataset_name": "../evil"}, "--dataset-name"),
    ],
)
def test_options_that_do_not_fit_are_usage_errors(
    store: Path, tmp_path: Path, options: dict, flag: str
) -> None:
    arguments = {"dataset_name": "ADT", "out": tmp_path / "u.json", **options}
    with pytest.raises(UsageError, match=flag):
        publish_store(store, **arguments)
    assert not (tmp_path / "u.json").exists()


def test_a_folder_without_shards_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no shards found"):
        publish_store(tmp_path, dataset_name="ADT", base_url="http://h", out=tmp_path / "u.json")


def test_a_store_from_our_shard_writer_publishes_with_the_writer_sha1s(tmp_path: Path) -> None:
    from atek_store.synthetic import write_synthetic_store

    records = write_synthetic_store(tmp_path / "store" / "cubercnn", config="cubercnn", sequences=1, seed=3)
    out = tmp_path / "u.json"
    publish_store(tmp_path / "store", dataset_name="Synthetic", base_url="http://h", out=out)
    found = entries(json.loads(out.read_text()))
    expected = {
        f"cubercnn/{sequence}/{record.path.name.replace('.', '_')}": (record.sha1, record.size)
        for sequence, shards in records.items()
        for record in shards
    }
    assert {key: (e["sha1sum"], e["file_size_bytes"]) for key, e in found.items()} == expected
