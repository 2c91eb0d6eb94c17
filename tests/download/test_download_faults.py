"""End to end against the faulty loopback server: final files, YAMLs, report and exit code per fault."""

from __future__ import annotations

import base64
import json
import logging
import os
import random
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from atek_store import download_atek_wds_sequences, load_yaml_and_extract_tar_list
from atek_store.cli import main
from atek_store.download.report import REPORT_FILE, ShardOutcome
from atek_store.download.scheduler import RetryPolicy, TransferOptions, run_transfers
from atek_store.download.state import StateJournal
from atek_store.errors import TransferError
from atek_store.http import make_transport
from atek_store.manifest import load_manifest
from atek_store.shardlists import load_shard_list
from tests.download.fake_store import FakeStore, build_store, download_args
from tests.fault_server import Fault, FaultServer

LAYOUT = {"seq_a": 2, "seq_b": 3, "seq_c": 1, "seq_d": 2}


@pytest.fixture
def store(fault_server: FaultServer, tmp_path: Path) -> FakeStore:
    return build_store(fault_server, tmp_path / "urls.json", LAYOUT)


def run(store: FakeStore, out: Path, *extra: str) -> int:
    return main(download_args(store.json_path, out, *extra, config=store.config))


def transfer(
    store: FakeStore,
    out: Path,
    *,
    sleep: Callable[[float], object],
    retry: RetryPolicy | None = None,
    workers: int = 4,
) -> tuple[list[ShardOutcome], bool]:
    """Every shard of the store through the scheduler, with an injected sleep (no real waits)."""
    shards = [
        s
        for seq in load_manifest(store.json_path).config(store.config).sequences.values()
        for s in seq.shards
    ]
    options = TransferOptions(workers=workers, retry=retry or RetryPolicy())
    with closing(make_transport()) as transport:
        return run_transfers(
            shards, out, transport=transport, options=options, journal=StateJournal(out), sleep=sleep
        )


def listed(out: Path) -> set[str]:
    """Relative paths listed in local_all_tars.yaml (checked to resolve inside ``out``)."""
    entries = load_yaml_and_extract_tar_list(out / "local_all_tars.yaml")
    return {os.path.relpath(entry, out) for entry in entries}


def on_disk(out: Path) -> set[str]:
    return {str(p.relative_to(out)) for p in out.glob("*/*.tar")}


def parts(out: Path) -> set[str]:
    return {str(p.relative_to(out)) for p in out.glob("*/*.part")}


def report(out: Path) -> dict[str, object]:
    data = json.loads((out / REPORT_FILE).read_text())
    assert isinstance(data, dict)
    return data


def statuses(out: Path) -> dict[str, str]:
    shards = report(out)["shards"]
    assert isinstance(shards, list)
    return {shard["relpath"]: shard["status"] for shard in shards}


def assert_complete(store: FakeStore, out: Path) -> None:
    assert on_disk(out) == set(store.data)
    for relpath, body in store.data.items():
        assert (out / relpath).read_bytes() == body
    assert listed(out) == set(store.data)
    assert parts(out) == set()


def test_clean_download_verifies_everything_and_writes_the_originals_outputs(
    store: FakeStore, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert run(store, out) == 0
    assert_complete(store, out)
    train = load_shard_list(out / "local_train_tars.yaml")
    validation = load_shard_list(out / "local_validation_tars.yaml")
    # seed 42 over four names: three to train, one to validation (int(4 * 0.9) == 3)
    assert len(train) == 3
    assert len(validation) == 1
    assert train["seq_b"] == ["seq_b/shards-0000.tar", "seq_b/shards-0001.tar", "seq_b/shards-0002.tar"]
    data = report(out)
    assert data["random_seed"] == 42
    assert len(str(data["input_json_sha256"])) == 64
    assert set(data["selected_sequences"]) == set(LAYOUT)  # type: ignore[arg-type]
    assert set(statuses(out).values()) == {"downloaded"}
    assert "Signature" not in (out / REPORT_FILE).read_text()


def test_cut_response_resumes_with_a_range_request(store: FakeStore, tmp_path: Path) -> None:
    target = "seq_b/shards-0001.tar"
    store.server.faults[store.server_path(target)] = Fault(cut_after=20_000, cut_times=2)
    out = tmp_path / "out"
    assert run(store, out) == 0
    assert_complete(store, out)
    requests = store.requests_for(target)
    assert [r.range for r in requests] == [None, "bytes=20000-", "bytes=40000-"]
    assert [r.status for r in requests] == [200, 206, 206]
    assert sum(r.bytes_sent for r in requests) == len(store.data[target])


@pytest.mark.parametrize("status", [503, 429])
def test_busy_answer_is_retried_after_retry_after(store: FakeStore, tmp_path: Path, status: int) -> None:
    target = "seq_a/shards-0000.tar"
    store.server.faults[store.server_path(target)] = Fault(status=status, status_times=1, retry_after="7")
    waits: list[float] = []
    outcomes, expired = transfer(store, tmp_path / "out", sleep=waits.append)
    assert all(outcome.ok for outcome in outcomes)
    assert not expired
    first, second = store.requests_for(target)
    assert (first.status, second.status) == (status, 200)
    assert waits == [7.0]


def test_retry_after_is_capped_and_so_is_the_total_wait(store: FakeStore, tmp_path: Path) -> None:
    target = "seq_a/shards-0000.tar"
    store.server.faults[store.server_path(target)] = Fault(status=503, status_times=None, retry_after="86400")
    waits: list[float] = []
    policy = RetryPolicy(retries=10, max_retry_after_s=60, max_total_wait_s=150)
    outcomes, _ = transfer(store, tmp_path / "out", sleep=waits.append, retry=policy)
    assert waits == [60.0, 60.0]  # a third wait would pass the 150 s bound: the shard fails instead
    failed = next(outcome for outcome in outcomes if outcome.relpath == target)
    assert failed.status == "failed"
    assert "150 s" in str(failed.reason)
    assert len(store.requests_for(target)) == 3


def test_retries_without_progress_are_counted_and_progress_resumes_at_once(
    store: FakeStore, tmp_path: Path
) -> None:
    busy, cut = "seq_c/shards-0000.tar", "seq_b/shards-0001.tar"
    store.server.faults[store.server_path(busy)] = Fault(status=503, status_times=None)
    store.server.faults[store.server_path(cut)] = Fault(cut_after=10_000, cut_times=3)
    waits: list[float] = []
    outcomes, _ = transfer(store, tmp_path / "out", sleep=waits.append, retry=RetryPolicy(retries=2, seed=3))
    by_path = {outcome.relpath: outcome for outcome in outcomes}
    assert by_path[busy].status == "failed"
    assert by_path[busy].attempts == 3
    assert len(waits) == 2  # only the busy shard waited; the cut one resumed three times at once
    assert by_path[cut].status == "downloaded"
    assert [r.range for r in store.requests_for(cut)] == [
        None,
        "bytes=10000-",
        "bytes=20000-",
        "bytes=30000-",
    ]
    # Seeded jitter: the same seed gives the same waits.
    again: list[float] = []
    store.server.faults[store.server_path(cut)] = Fault(cut_after=10_000, cut_times=3)
    transfer(store, tmp_path / "again", sleep=again.append, retry=RetryPolicy(retries=2, seed=3))
    assert again == waits


def test_persistent_503_fails_that_shard_only_and_exits_1(
    store: FakeStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = "seq_c/shards-0000.tar"
    store.server.faults[store.server_path(target)] = Fault(status=503, status_times=None)
    out = tmp_path / "out"
    assert run(store, out, "--retries", "0") == 1
    assert len(store.requests_for(target)) == 1
    assert on_disk(out) == set(store.data) - {target}
    assert listed(out) == set(store.data) - {target}
    assert "seq_c" not in load_shard_list(out / "local_all_tars.yaml")
    assert statuses(out)[target] == "failed"
    captured = capsys.readouterr()
    assert f"FAILED {target}: HTTP 503" in captured.out
    assert "1 of 8 shards failed" in captured.err


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault(status=404, status_times=None), "HTTP 404"),
        (Fault(content_length=1234), "the server's file is 1,234 bytes but the URL JSON promises 65,536"),
        (Fault(redirect="file:///etc/passwd"), "redirected to a file: URL"),
        (Fault(wrong_bytes=True), "on 2 fresh transfers"),
    ],
)
def test_failures_that_cannot_heal_are_not_retried(
    store: FakeStore, tmp_path: Path, fault: Fault, reason: str
) -> None:
    target = "seq_a/shards-0001.tar"
    store.server.faults[store.server_path(target)] = fault
    out = tmp_path / "out"
    assert run(store, out, "--retries", "5") == 1
    # One request, or two full transfers for a wrong sha1: never the retry budget.
    assert len(store.requests_for(target)) == (2 if fault.wrong_bytes else 1)
    shard = next(s for s in report(out)["shards"] if s["relpath"] == target)  # type: ignore[union-attr]
    assert shard["status"] == "failed"
    assert reason in shard["reason"]
    assert not (out / target).exists()
    assert parts(out) == set()


def test_expired_urls_stop_the_run_and_exit_3(fault_server: FaultServer, tmp_path: Path) -> None:
    store = build_store(fault_server, tmp_path / "urls.json", LAYOUT)
    for relpath in store.data:  # every first transfer breaks off at byte 20,000 ...
        fault_server.faults[store.server_path(relpath)] = Fault(cut_after=20_000)
    fault_server.refuse_after = 1  # ... and the URLs expire before its resume
    out = tmp_path / "out"
    assert run(store, out, "--workers", "1") == 3
    outcome = statuses(out)
    assert sorted(outcome.values()).count("expired") == 1
    assert sorted(outcome.values()).count("not_started") == len(store.data) - 1
    assert report(out)["urls_expired"] is True
    (expired,) = [path for path, status in outcome.items() if status == "expired"]
    shard = next(s for s in report(out)["shards"] if s["relpath"] == expired)  # type: ignore[union-attr]
    assert shard["bytes_kept"] == 20_000
    # Nothing half-written is visible; the refused shard's bytes wait in its .part; no empty .part.
    assert on_disk(out) == set() == listed(out)
    assert parts(out) == {f"{expired}.part"}
    # Not scheduled after the refusal: one 403, and no request for any other shard.
    assert [entry.status for entry in fault_server.log] == [200, 403]

    # A fresh JSON (new signatures) resumes the kept bytes and fetches the rest.
    fault_server.refuse_after = None
    fault_server.faults.clear()
    fault_server.clear_log()
    fresh = build_store(fault_server, tmp_path / "fresh.json", LAYOUT)
    assert run(fresh, out) == 0
    assert_complete(fresh, out)
    assert [r.range for r in fresh.requests_for(expired)] == ["bytes=20000-"]


def test_expired_message_tells_the_user_to_fetch_a_fresh_json(
    store: FakeStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store.server.refuse_after = 0
    out = tmp_path / "out"
    assert run(store, out) == 3
    assert "Download a fresh JSON" in capsys.readouterr().err
    assert load_shard_list(out / "local_all_tars.yaml") == {}
    assert on_disk(out) == set()
    assert parts(out) == set()  # a refused request leaves no empty .part behind


def test_server_ignoring_range_is_read_past_what_the_part_holds(store: FakeStore, tmp_path: Path) -> None:
    target = "seq_d/shards-0001.tar"
    store.server.faults[store.server_path(target)] = Fault(cut_after=30_000, ignore_range=True)
    out = tmp_path / "out"
    assert run(store, out) == 0
    assert_complete(store, out)
    first, second = store.requests_for(target)
    assert (first.range, second.range) == (None, "bytes=30000-")
    assert second.status == 200
    # The 200 answer's first 30,000 bytes are dropped: each byte is written and hashed once.
    assert first.bytes_sent + second.bytes_sent == 30_000 + len(store.data[target])
    shard = next(s for s in report(out)["shards"] if s["relpath"] == target)
    assert shard["bytes_received"] == len(store.data[target])
    assert shard["bytes_hashed"] == len(store.data[target])


def test_bytes_not_matching_the_sha1_are_never_published(
    store: FakeStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = "seq_a/shards-0001.tar"
    store.server.faults[store.server_path(target)] = Fault(wrong_bytes=True)
    out = tmp_path / "out"
    assert run(store, out) == 1
    assert not (out / target).exists()
    assert parts(out) == set()
    assert listed(out) == set(store.data) - {target}
    assert len(store.requests_for(target)) == 2
    assert "does not match" in capsys.readouterr().out


def test_verified_shards_are_skipped_without_reading_or_fetching(store: FakeStore, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(store, out) == 0
    store.server.clear_log()
    assert run(store, out) == 0
    assert store.server.log == []
    shards = report(out)["shards"]
    assert {s["status"] for s in shards} == {"present"}  # type: ignore[union-attr,index]
    assert sum(s["bytes_hashed"] for s in shards) == 0  # type: ignore[union-attr,index]


def test_files_without_state_records_are_hashed_once_and_kept(store: FakeStore, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(store, out) == 0
    (out / ".atek_store" / "verified.jsonl").unlink()
    store.server.clear_log()
    assert run(store, out) == 0
    assert store.server.log == []
    shards = report(out)["shards"]
    assert all(s["bytes_rehashed"] == s["size"] for s in shards)  # type: ignore[union-attr,index]


def test_a_corrupted_shard_on_disk_is_fetched_again(store: FakeStore, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(store, out) == 0
    target = "seq_b/shards-0002.tar"
    (out / target).write_bytes(bytes(len(store.data[target])))
    store.server.clear_log()
    assert run(store, out) == 0
    assert_complete(store, out)
    assert [entry.path for entry in store.server.log] == [store.server_path(target)]


def test_overwrite_fetches_everything_again(store: FakeStore, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(store, out) == 0
    store.server.clear_log()
    assert run(store, out, "--overwrite") == 0
    assert len(store.server.log) == len(store.data)
    assert_complete(store, out)


def test_part_left_by_an_earlier_process_is_rehashed_once_and_resumed(
    store: FakeStore, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    target = "seq_a/shards-0000.tar"
    (out / "seq_a").mkdir(parents=True)
    (out / f"{target}.part").write_bytes(store.data[target][:12_345])
    assert run(store, out) == 0
    assert_complete(store, out)
    assert [r.range for r in store.requests_for(target)] == ["bytes=12345-"]
    shard = next(s for s in report(out)["shards"] if s["relpath"] == target)
    assert shard["resumed_from"] == 12_345
    assert shard["bytes_rehashed"] == 12_345
    assert shard["bytes_hashed"] == len(store.data[target])


def test_part_with_foreign_bytes_fails_sha1_then_restarts_at_once(store: FakeStore, tmp_path: Path) -> None:
    out = tmp_path / "out"
    target = "seq_a/shards-0000.tar"
    (out / "seq_a").mkdir(parents=True)
    (out / f"{target}.part").write_bytes(b"\xff" * 1000)
    waits: list[float] = []
    outcomes, _ = transfer(store, out, sleep=waits.append)
    assert all(outcome.ok for outcome in outcomes)
    first, second = store.requests_for(target)
    assert (first.range, second.range) == ("bytes=1000-", None)
    assert waits == []  # the earlier run's prefix is dropped without a backoff
    assert (out / target).read_bytes() == store.data[target]


def test_a_stale_part_beside_a_verified_file_is_removed(store: FakeStore, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(store, out) == 0
    target = "seq_b/shards-0000.tar"
    (out / f"{target}.part").write_bytes(store.data[target][:5000])  # an interrupted --overwrite run's
    store.server.clear_log()
    assert run(store, out) == 0
    assert parts(out) == set()
    assert statuses(out)[target] == "present"
    assert store.server.log == []


def test_credentials_in_urls_are_sent_but_never_shown(store: FakeStore, tmp_path: Path) -> None:
    text = store.json_path.read_text().replace("http://127.0.0.1", "http://alice:s3cr3t@127.0.0.1")
    store.json_path.write_text(text)
    target = "seq_a/shards-0001.tar"
    store.server.faults[store.server_path(target)] = Fault(status=404, status_times=None)
    out = tmp_path / "out"
    assert run(store, out) == 1
    sent = store.requests_for("seq_a/shards-0000.tar")[0].headers
    assert sent["authorization"] == "Basic " + base64.b64encode(b"alice:s3cr3t").decode()
    written = (out / REPORT_FILE).read_text()
    assert "HTTP 404" in written
    assert "s3cr3t" not in written
    assert "alice" not in written
    assert "Signature=abc" not in written


def test_not_enough_disk_space_refuses_before_anything(fault_server: FaultServer, tmp_path: Path) -> None:
    store = build_store(fault_server, tmp_path / "urls.json", {"seq_a": 1})
    data = json.loads(store.json_path.read_text())
    data["atek_data_for_all_configs"]["efm"]["wds_file_urls"]["seq_a"]["shards-0000_tar"][
        "file_size_bytes"
    ] = 2**60
    store.json_path.write_text(json.dumps(data))
    out = tmp_path / "out"
    assert run(store, out) == 1
    assert not out.exists()
    assert fault_server.log == []


def test_old_json_gets_a_warning_before_starting(
    store: FakeStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old = time.time() - 40 * 86400
    os.utime(store.json_path, (old, old))
    with caplog.at_level(logging.WARNING):
        assert run(store, tmp_path / "out") == 0
    assert any("40 days old" in record.getMessage() for record in caplog.records)


def test_streamable_mode_lists_urls_and_fetches_nothing(store: FakeStore, tmp_path: Path) -> None:
    out = tmp_path / "stream"
    code = main(download_args(store.json_path, out, local=False))
    assert code == 0
    assert store.server.log == []
    urls = load_yaml_and_extract_tar_list(out / "streamable_all_tars.yaml")
    assert sorted(urls) == sorted(store.server.url(store.server_path(p)) for p in store.data)
    assert sorted(p.name for p in out.iterdir()) == [
        REPORT_FILE,
        "streamable_all_tars.yaml",
        "streamable_train_tars.yaml",
        "streamable_validation_tars.yaml",
    ]


def test_api_raises_transfer_error_carrying_the_report(store: FakeStore, tmp_path: Path) -> None:
    target = "seq_c/shards-0000.tar"
    store.server.faults[store.server_path(target)] = Fault(status=500, status_times=10)
    with pytest.raises(TransferError, match="1 of 8 shards failed") as info:
        download_atek_wds_sequences(
            "efm",
            store.json_path,
            0.9,
            42,
            tmp_path / "out",
            download_wds_to_local=True,
            retry_policy=RetryPolicy(retries=2, base_s=0.01),
        )
    failed = info.value.report.failed
    assert [shard.relpath for shard in failed] == [target]
    assert failed[0].attempts == 3


def test_selection_flags_pick_the_originals_sequences(store: FakeStore, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert (
        run(store, out, "--max-num-sequences", "2", "--train-val-split-ratio", "0.5", "--random-seed", "7")
        == 0
    )
    names = sorted(LAYOUT)
    random.Random(7).shuffle(names)
    assert list(load_shard_list(out / "local_train_tars.yaml")) == [names[0]]
    assert list(load_shard_list(out / "local_validation_tars.yaml")) == [names[1]]
    assert {p.split("/")[0] for p in on_disk(out)} == set(names[:2])
