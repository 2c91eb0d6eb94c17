"""Publishing to S3: a real S3 API server (moto in server mode) on loopback, fetched with urllib3."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import urllib3

from atek_store import publish_store
from atek_store.errors import StoreError, UsageError
from atek_store.store.s3 import S3Location
from tests.store.builders import build_store, write_shard

pytestmark = pytest.mark.usefixtures("aws_env")


def make_bucket(endpoint: str, name: str) -> None:
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=name)


def shard_entries(out: Path) -> list[dict]:
    document = json.loads(out.read_text())
    return [
        entry
        for config in document["atek_data_for_all_configs"].values()
        for shards in config["wds_file_urls"].values()
        for entry in shards.values()
    ]


def test_s3_round_trip_serves_every_shard_with_its_sha1(
    s3_endpoint: str, tmp_path: Path, golden_dir: Path
) -> None:
    make_bucket(s3_endpoint, "atek-roundtrip")
    store = build_store(tmp_path / "store", golden_dir)
    out = tmp_path / "urls.json"
    report = publish_store(
        store,
        dataset_name="ADT",
        out=out,
        s3_url="s3://atek-roundtrip/mirror/v1",
        endpoint_url=s3_endpoint,
        ttl_days=2,
    )
    assert report.uploaded == 4
    http = urllib3.PoolManager(retries=False, timeout=30)
    entries = shard_entries(out)
    assert len(entries) == 4
    for entry in entries:
        url = entry["download_url"]
        parts = urlsplit(url)
        assert url.startswith(f"{s3_endpoint}/atek-roundtrip/mirror/v1/")
        assert parse_qs(parts.query)["X-Amz-Expires"] == [str(2 * 86400)]
        response = http.request("GET", url)
        assert response.status == 200
        assert hashlib.sha1(response.data, usedforsecurity=False).hexdigest() == entry["sha1sum"]
        assert len(response.data) == entry["file_size_bytes"]
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    head = client.head_object(Bucket="atek-roundtrip", Key="mirror/v1/efm/seqB/shards-0001.tar")
    assert head["Metadata"]["sha1"] == next(
        e["sha1sum"] for e in entries if e["filename"].endswith("seqB_shards-0001.tar")
    )


def test_republishing_uploads_only_what_changed(s3_endpoint: str, tmp_path: Path) -> None:
    make_bucket(s3_endpoint, "atek-refresh")
    store = tmp_path / "store"
    for i in range(3):
        write_shard(store / "efm" / f"seq{i}" / "shards-0000.tar", seed=i)
    options = {
        "dataset_name": "X",
        "out": tmp_path / "u.json",
        "s3_url": "s3://atek-refresh",
        "endpoint_url": s3_endpoint,
    }
    assert publish_store(store, **options).uploaded == 3
    assert publish_store(store, **options).uploaded == 0
    write_shard(store / "efm" / "seq1" / "shards-0000.tar", seed=99)
    assert publish_store(store, **options).uploaded == 1
    entry = next(e for e in shard_entries(tmp_path / "u.json") if "seq1" in e["filename"])
    data = urllib3.PoolManager(retries=False).request("GET", entry["download_url"]).data
    assert hashlib.sha1(data, usedforsecurity=False).hexdigest() == entry["sha1sum"]


def test_the_default_s3_expiry_is_seven_days(s3_endpoint: str, tmp_path: Path) -> None:
    make_bucket(s3_endpoint, "atek-default-ttl")
    store = tmp_path / "store"
    write_shard(store / "efm" / "a" / "shards-0000.tar")
    out = tmp_path / "u.json"
    publish_store(
        store, dataset_name="X", out=out, s3_url="s3://atek-default-ttl/p", endpoint_url=s3_endpoint
    )
    (entry,) = shard_entries(out)
    assert parse_qs(urlsplit(entry["download_url"]).query)["X-Amz-Expires"] == ["604800"]


def test_a_missing_bucket_is_a_clear_error_and_writes_nothing(s3_endpoint: str, tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_shard(store / "efm" / "a" / "shards-0000.tar")
    out = tmp_path / "u.json"
    with pytest.raises(StoreError, match="'no-such-bucket' does not exist"):
        publish_store(
            store, dataset_name="X", out=out, s3_url="s3://no-such-bucket/p", endpoint_url=s3_endpoint
        )
    assert not out.exists()


@pytest.mark.parametrize("url", ["s3:/b/p", "http://b/p", "s3://", "b/p"])
def test_malformed_s3_urls_are_usage_errors(url: str) -> None:
    with pytest.raises(UsageError, match="s3://bucket/prefix"):
        S3Location.parse(url)


def test_s3_locations_build_keys_under_their_prefix() -> None:
    assert S3Location.parse("s3://b/a/b/").key("efm/s/shards-0000.tar") == "a/b/efm/s/shards-0000.tar"
    assert S3Location.parse("s3://b").key("efm/s/shards-0000.tar") == "efm/s/shards-0000.tar"
