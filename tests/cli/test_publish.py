"""``atek-store publish`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from atek_store.cli import main
from tests.store.builders import build_store, sha1_of


@pytest.fixture
def store(tmp_path: Path, golden_dir: Path) -> Path:
    return build_store(tmp_path / "store", golden_dir)


def publish_args(store: Path, out: Path, base_url: str = "http://h") -> list[str]:
    return ["publish", str(store), "--dataset-name", "ADT", "--base-url", base_url, "--out", str(out)]


def test_publish_writes_the_json_and_a_summary(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATEK_STORE_NO_PROGRESS", "1")
    out = tmp_path / "ADT_ATEK_download_urls.json"
    assert main(publish_args(store, out, "http://127.0.0.1:8080")) == 0
    summary = capsys.readouterr().out
    assert "4 shards, 3 sequences" in summary
    assert str(out) in summary
    entry = json.loads(out.read_text())["atek_data_for_all_configs"]["cubercnn"]["wds_file_urls"]["seqA"][
        "shards-0000_tar"
    ]
    assert entry["sha1sum"] == sha1_of(store / "cubercnn/seqA/shards-0000.tar")


def test_publish_signs_with_the_secret_from_the_environment(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATEK_STORE_SECRET", "environment-secret-0123456789")
    monkeypatch.setenv("ATEK_STORE_NO_PROGRESS", "1")
    out = tmp_path / "u.json"
    args = publish_args(store, out)
    assert main([*args, "--sign", "--ttl-days", "30"]) == 0
    assert "URLs expire" in capsys.readouterr().out
    text = out.read_text()
    assert "Signature=" in text
    assert "environment-secret" not in text
    # Without --sign the environment's secret is not used: plain URLs.
    assert main(args) == 0
    assert "Signature=" not in out.read_text()


def test_a_truncated_shard_exits_2_naming_it(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = store / "efm" / "seqB" / "shards-0001.tar"
    bad.write_bytes(bad.read_bytes()[:2000])
    assert main(publish_args(store, tmp_path / "u.json")) == 2
    err = capsys.readouterr().err
    assert "tar ends inside" in err
    assert str(bad) in err
    assert "Traceback" not in err
    assert not (tmp_path / "u.json").exists()


def test_inconsistent_flags_exit_2(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["publish", str(store), "--dataset-name", "ADT", "--base-url", "http://h", "--ttl-days", "3"])
    assert code == 2
    assert "--ttl-days" in capsys.readouterr().err


def test_base_url_and_s3_url_are_exclusive(store: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["publish", str(store), "--dataset-name", "ADT", "--base-url", "http://h", "--s3-url", "s3://b"])
    assert info.value.code == 2


def test_help_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["publish", "--help"])
    assert "examples:" in capsys.readouterr().out
