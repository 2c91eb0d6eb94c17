"""The download report: statuses are an enum, the JSON stays what earlier releases wrote and read."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from atek_store.cli import main
from atek_store.download.report import REPORT_FILE, ShardStatus, load_report
from atek_store.errors import ManifestError
from tests.download.fake_store import shard_bytes

# download_report.json exactly as the release before the status enum wrote it (two shards of 100 B).
EARLIER_REPORT = """{
  "config_name": "efm",
  "input_json_path": "/data/urls.json",
  "input_json_sha256": "576ee126eac4b372a470e72cecc2ceab16f09477f45dbd0183f3753488bfc39e",
  "output_folder": "/data/out",
  "mode": "local",
  "random_seed": 42,
  "selection_rule": "original",
  "max_num_sequences": null,
  "train_val_split_ratio": 0.9,
  "split_source": "ratio",
  "selected_sequences": ["seq_b", "seq_a"],
  "train_sequences": ["seq_b"],
  "validation_sequences": ["seq_a"],
  "shards": [
    {"sequence": "seq_b", "key": "shards-0000_tar", "relpath": "seq_b/shards-0000.tar", "size": 100,
     "sha1": "SHA1_B", "status": "downloaded", "reason": null, "attempts": 1, "bytes_received": 100,
     "bytes_hashed": 100, "bytes_rehashed": 0, "resumed_from": 0, "seconds": 0.008},
    {"sequence": "seq_a", "key": "shards-0000_tar", "relpath": "seq_a/shards-0000.tar", "size": 100,
     "sha1": "SHA1_A", "status": "present", "reason": null, "attempts": 0, "bytes_received": 0,
     "bytes_hashed": 0, "bytes_rehashed": 0, "resumed_from": 0, "seconds": 0.0}
  ],
  "started_at": 1796191614.5836732,
  "finished_at": 1796191614.6114423,
  "urls_expired": false,
  "interrupted": false,
  "tool_version": "0.1.0",
  "yaml_files": ["local_all_tars.yaml", "local_train_tars.yaml", "local_validation_tars.yaml"],
  "summary": {"downloaded": 1, "present": 1}
}
"""


@pytest.fixture
def earlier_folder(tmp_path: Path) -> Path:
    text = EARLIER_REPORT
    for sequence in ("seq_a", "seq_b"):
        body = shard_bytes(f"efm/{sequence}/shards-0000.tar", 100)
        (tmp_path / sequence).mkdir()
        (tmp_path / sequence / "shards-0000.tar").write_bytes(body)
        digest = hashlib.sha1(body, usedforsecurity=False).hexdigest()
        text = text.replace(f"SHA1_{sequence[-1].upper()}", digest)
    (tmp_path / REPORT_FILE).write_text(text)
    return tmp_path


def test_an_earlier_report_loads_with_enum_statuses_and_writes_back_the_same_json(
    earlier_folder: Path,
) -> None:
    report = load_report(earlier_folder / REPORT_FILE)
    assert [shard.status for shard in report.shards] == [ShardStatus.DOWNLOADED, ShardStatus.PRESENT]
    assert report.ok
    written = json.loads(report.to_json())
    earlier = json.loads((earlier_folder / REPORT_FILE).read_text())
    for shard in earlier["shards"]:
        shard["bytes_kept"] = 0  # the one field added since that report was written, at its default
    assert written == earlier


def test_verify_reads_an_earlier_report(earlier_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(earlier_folder)]) == 0
    assert "2 shards expected (from download_report.json): 2 ok" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"shards": [{"status": "exploded"}]}', "not a download report"),
        ("[1, 2]", "no JSON object"),
        ('{"config_name": "efm", "config_name": "x"}', "appears twice"),
        (
            EARLIER_REPORT.replace('"relpath": "seq_b/shards-0000.tar"', '"relpath": 7'),
            r"shards\[0\]\.relpath",
        ),
        (
            EARLIER_REPORT.replace('"selected_sequences": ["seq_b", "seq_a"]', '"selected_sequences": [[1]]'),
            "selected_sequences",
        ),
        (EARLIER_REPORT.replace('"size": 100', '"size": true', 1), r"shards\[0\]\.size"),
    ],
)
def test_a_report_that_is_not_one_is_a_manifest_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / REPORT_FILE
    path.write_text(text)
    with pytest.raises(ManifestError, match=message):
        load_report(path)
