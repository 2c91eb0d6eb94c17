"""verify: re-hash a local store and report missing and corrupt shards."""

from __future__ import annotations

from pathlib import Path

import pytest

from atek_store import verify_local_store
from atek_store.cli import main
from tests.download.fake_store import FakeStore, build_store, download_args
from tests.fault_server import FaultServer


@pytest.fixture
def downloaded(fault_server: FaultServer, tmp_path: Path) -> tuple[FakeStore, Path]:
    store = build_store(fault_server, tmp_path / "urls.json", {"s1": 2, "s2": 1, "s3": 3})
    out = tmp_path / "out"
    assert main(download_args(store.json_path, out, "--max-num-sequences", "2")) == 0
    return store, out


def test_intact_store_verifies(
    downloaded: tuple[FakeStore, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    store, out = downloaded
    report = verify_local_store(out)
    assert report.ok
    assert report.bytes_hashed == sum((out / c.relpath).stat().st_size for c in report.checks)
    assert main(["verify", str(out)]) == 0
    assert "0 missing, 0 corrupt" in capsys.readouterr().out


def test_missing_and_corrupt_shards_are_reported(
    downloaded: tuple[FakeStore, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    store, out = downloaded
    checks = verify_local_store(out).checks
    gone, bad, short = (out / checks[0].relpath, out / checks[1].relpath, out / checks[-1].relpath)
    gone.unlink()
    bad.write_bytes(bytes(bad.stat().st_size))
    short.write_bytes(b"tiny")
    assert main(["verify", str(out)]) == 1
    printed = capsys.readouterr().out
    assert f"MISSING {checks[0].relpath}: not on disk" in printed
    assert f"CORRUPT {checks[1].relpath}: sha1" in printed
    assert f"CORRUPT {checks[-1].relpath}: size 4 bytes" in printed


def test_verify_against_the_json_uses_the_reports_config_and_selection(
    downloaded: tuple[FakeStore, Path],
) -> None:
    store, out = downloaded
    report = verify_local_store(out, input_json_path=store.json_path)
    assert report.ok
    assert "config efm" in report.source
    (out / "download_report.json").unlink()
    by_folders = verify_local_store(out, input_json_path=store.json_path, config_name="efm")
    assert by_folders.ok
    assert len(by_folders.checks) == len(report.checks)


def test_without_report_the_state_records_are_used(downloaded: tuple[FakeStore, Path]) -> None:
    _, out = downloaded
    (out / "download_report.json").unlink()
    report = verify_local_store(out)
    assert report.ok
    assert "state records" in report.source


def test_nothing_to_verify_against_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(tmp_path)]) == 2
    assert "--input-json-path" in capsys.readouterr().err
    assert main(["verify", str(tmp_path / "nope")]) == 2


def test_partial_download_is_named(downloaded: tuple[FakeStore, Path]) -> None:
    _, out = downloaded
    relpath = verify_local_store(out).checks[0].relpath
    path = out / relpath
    path.rename(path.with_name(path.name + ".part"))
    check = verify_local_store(out).checks[0]
    assert check.status == "missing"
    assert "partial download" in (check.reason or "")


@pytest.mark.parametrize("workers", ["0", "-3"])
def test_a_bad_worker_count_is_a_usage_error(downloaded: tuple[FakeStore, Path], workers: str) -> None:
    _, out = downloaded
    assert main(["verify", str(out), "--workers", workers]) == 2
