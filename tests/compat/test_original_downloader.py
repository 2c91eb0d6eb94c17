"""The original's downloader script, run through our `atek.data_download`, writes our folder.

``ORIGINAL_TOOL`` invokes the downloader the way the original repository's
``tools/atek_wds_data_downloader.py`` does: its flags, parsed with argparse and no defaults beyond
its own, handed to ``download_atek_wds_sequences`` *positionally* in the original's order. It runs
in its own process against a store we publish and serve with signed URLs on 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import runpy
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from atek_store import publish_store, start_store_server
from atek_store.cli import main
from atek_store.download.report import REPORT_FILE
from atek_store.download.state import STATE_DIR
from atek_store.synthetic import write_synthetic_store
from tests.loading.conftest import SMALL_CUBERCNN

SECRET = "compat-downloader-secret"

ORIGINAL_TOOL = """
import argparse
import logging

from atek.data_download.atek_data_store_download import download_atek_wds_sequences

logging.basicConfig(level=logging.INFO)
parser = argparse.ArgumentParser()
parser.add_argument("--config-name", type=str)
parser.add_argument("--input-json-path", type=str)
parser.add_argument("--train-val-split-ratio", type=float, default=0.9)
parser.add_argument("--random-seed", type=int, default=42)
parser.add_argument("--output-folder-path", type=str)
parser.add_argument("--download-wds-to-local", action="store_true")
parser.add_argument("--max-num-sequences", type=int)
parser.add_argument("--train-val-split-json-path", type=str)
args = parser.parse_args()
download_atek_wds_sequences(
    args.config_name,
    args.input_json_path,
    args.train_val_split_ratio,
    args.random_seed,
    args.output_folder_path,
    args.max_num_sequences,
    args.download_wds_to_local,
    args.train_val_split_json_path,
)
"""

# 4 small sequences of 1-sample shards.
TINY = dataclasses.replace(SMALL_CUBERCNN, samples_per_sequence=2, max_samples_per_shard=1)
FLAGS = ["--config-name", "cubercnn", "--max-num-sequences", "3", "--train-val-split-ratio", "0.5"]


@pytest.fixture(scope="module")
def urls_json(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("store")
    write_synthetic_store(root / "cubercnn", config=TINY, sequences=4, seed=5)
    json_path = root.parent / "Tiny_ATEK_download_urls.json"
    with start_store_server(root, secret=SECRET) as server:
        publish_store(root, dataset_name="Tiny", out=json_path, base_url=server.url, sign=True, secret=SECRET)
        yield json_path


def run_original_tool(tmp_path: Path, *args: str, monkeypatch: pytest.MonkeyPatch | None = None) -> int:
    """Run the script in a child process, or (given ``monkeypatch``) in this one as ``__main__``."""
    script = tmp_path / "atek_wds_data_downloader.py"
    script.write_text(ORIGINAL_TOOL)
    if monkeypatch is not None:
        monkeypatch.setattr(sys, "argv", [str(script), *args])
        runpy.run_path(str(script), run_name="__main__")
        return 0
    env = {**os.environ, "ATEK_STORE_NO_PROGRESS": "1"}
    done = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.returncode


def folder_contents(folder: Path) -> dict[str, bytes]:
    """Every file a user sees (our report and state records aside), by relative path."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != REPORT_FILE and STATE_DIR not in path.parts
    }


@pytest.mark.parametrize("local", [True, False], ids=["local", "streamable"])
def test_original_tool_writes_the_folder_our_downloader_writes(
    urls_json: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local: bool
) -> None:
    mode = ["--download-wds-to-local"] if local else []
    theirs, ours = tmp_path / "original", tmp_path / "ours"
    common = ["--input-json-path", str(urls_json), *FLAGS, *mode]
    # Local mode in its own process, as users run it; streamable mode in this one (quicker).
    run_original_tool(
        tmp_path, *common, "--output-folder-path", str(theirs), monkeypatch=None if local else monkeypatch
    )
    assert main(["download", *common, "--output-folder-path", str(ours)]) == 0
    written = folder_contents(theirs)
    assert written == folder_contents(ours)
    prefix = "local" if local else "streamable"
    assert {f"{prefix}_{split}_tars.yaml" for split in ("all", "train", "validation")} <= set(written)
    tars = {name.partition("/")[0] for name in written if name.endswith(".tar")}
    assert len(tars) == (3 if local else 0)  # the first 3 sequences of the seeded shuffle


def test_url_json_reads_as_efm3d_dataverse_parser_reads_it(urls_json: Path, tmp_path: Path) -> None:
    # EFM3D's data/dataverse_url_parser.py walks the JSON by these keys, fetches each download_url
    # and names the file after the shard key with "_tar" made ".tar".
    configs = json.loads(urls_json.read_text())["atek_data_for_all_configs"]
    ours = tmp_path / "ours"
    assert main(["download", "--input-json-path", str(urls_json), *FLAGS, "--download-wds-to-local",
                 "--output-folder-path", str(ours)]) == 0  # fmt: skip
    fetched = 0
    for sequence, shards in configs["cubercnn"]["wds_file_urls"].items():
        for shard_key, details in shards.items():
            with urllib.request.urlopen(details["download_url"], timeout=30) as response:  # noqa: S310 (loopback)
                data = response.read()
            assert hashlib.sha1(data).hexdigest() == details["sha1sum"]
            assert len(data) == details["file_size_bytes"]
            local = ours / sequence / shard_key.replace("_tar", ".tar")
            if local.exists():
                assert local.read_bytes() == data
                fetched += 1
    assert fetched == len(list(ours.glob("*/*.tar"))) > 0
