"""A hosted store, end to end: publish -> serve (signed URLs) or S3 -> our downloader fetches it."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from atek_store import publish_store, start_store_server
from atek_store.cli import main
from atek_store.shardlists import load_yaml_and_extract_tar_list
from atek_store.synthetic import write_synthetic_store

SECRET = "round-trip-secret"
DAY = 86400.0


@pytest.fixture(scope="module")
def store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("store")
    write_synthetic_store(root / "cubercnn", config="cubercnn", sequences=3, samples_per_sequence=5, seed=1)
    write_synthetic_store(root / "efm", config="efm", sequences=1, samples_per_sequence=2, seed=1)
    return root


@pytest.fixture(scope="module")
def server(store_root: Path) -> Iterator[str]:
    with start_store_server(store_root, secret=SECRET) as handle:
        yield handle.url


def sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


def download(json_path: Path, out: Path, *extra: str) -> int:
    return main(
        [
            "download",
            "--config-name",
            "cubercnn",
            "--input-json-path",
            str(json_path),
            "--output-folder-path",
            str(out),
            "--download-wds-to-local",
            *extra,
        ]
    )


def test_publish_serve_download_round_trip(store_root: Path, server: str, tmp_path: Path) -> None:
    urls = tmp_path / "Synthetic_ATEK_download_urls.json"
    publish_store(store_root, dataset_name="Synthetic", out=urls, base_url=server, sign=True, secret=SECRET)
    out = tmp_path / "downloaded"
    assert download(urls, out, "--train-val-split-ratio", "0.67", "--random-seed", "42") == 0
    originals = sorted(store_root.glob("cubercnn/*/shards-*.tar"))
    fetched = sorted(out.glob("*/shards-*.tar"))
    assert [p.relative_to(out) for p in fetched] == [
        p.relative_to(store_root / "cubercnn") for p in originals
    ]
    assert [sha1(p) for p in fetched] == [sha1(p) for p in originals]
    listed = load_yaml_and_extract_tar_list(out / "local_all_tars.yaml")
    assert sorted(listed) == sorted(str(p) for p in fetched)
    train = load_yaml_and_extract_tar_list(out / "local_train_tars.yaml")
    validation = load_yaml_and_extract_tar_list(out / "local_validation_tars.yaml")
    assert {Path(p).parent.name for p in train} | {Path(p).parent.name for p in validation} == {
        "synthetic_seq_000",
        "synthetic_seq_001",
        "synthetic_seq_002",
    }
    assert len({Path(p).parent.name for p in train}) == 2  # int(3 * 0.67)


def test_streamable_lists_point_at_the_signed_urls(store_root: Path, server: str, tmp_path: Path) -> None:
    urls = tmp_path / "urls.json"
    publish_store(store_root, dataset_name="Synthetic", out=urls, base_url=server, sign=True, secret=SECRET)
    out = tmp_path / "streamable"
    code = main(
        ["download", "--config-name", "efm", "--input-json-path", str(urls), "--output-folder-path", str(out)]
    )
    assert code == 0
    listed = load_yaml_and_extract_tar_list(out / "streamable_all_tars.yaml")
    assert listed
    assert all(url.startswith(server) and "Signature=" in url for url in listed)
    assert not list(out.glob("*/*.tar"))


def test_expired_urls_make_the_downloader_exit_3(
    store_root: Path, server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = tmp_path / "old.json"
    publish_store(
        store_root,
        dataset_name="Synthetic",
        out=urls,
        base_url=server,
        sign=True,
        secret=SECRET,
        now=time.time() - 31 * DAY,
    )
    out = tmp_path / "expired"
    assert download(urls, out) == 3
    assert "fresh" in capsys.readouterr().err.lower()
    assert not list(out.glob("*/*.tar"))


def test_tampered_signatures_make_the_downloader_exit_3(
    store_root: Path, server: str, tmp_path: Path
) -> None:
    urls = tmp_path / "tampered.json"
    publish_store(store_root, dataset_name="Synthetic", out=urls, base_url=server, sign=True, secret=SECRET)
    document = json.loads(urls.read_text())
    for shards in document["atek_data_for_all_configs"]["cubercnn"]["wds_file_urls"].values():
        for entry in shards.values():
            url = entry["download_url"]
            entry["download_url"] = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    urls.write_text(json.dumps(document))
    out = tmp_path / "tampered"
    assert download(urls, out) == 3
    assert not list(out.glob("*/*.tar"))


@pytest.mark.usefixtures("aws_env")
def test_s3_published_store_downloads_with_our_downloader(
    store_root: Path, s3_endpoint: str, tmp_path: Path
) -> None:
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket="atek-mirror")
    urls = tmp_path / "s3.json"
    publish_store(
        store_root, dataset_name="Synthetic", out=urls, s3_url="s3://atek-mirror/v1", endpoint_url=s3_endpoint
    )
    out = tmp_path / "from-s3"
    assert download(urls, out, "--workers", "4") == 0
    originals = sorted(store_root.glob("cubercnn/*/shards-*.tar"))
    fetched = sorted(out.glob("*/shards-*.tar"))
    assert [sha1(p) for p in fetched] == [sha1(p) for p in originals]
