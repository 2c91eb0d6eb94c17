"""A full or read-only output disk, for real: a tmpfs of a few hundred KiB in a private mount namespace.

``unshare --mount`` gives the child its own mounts, so the tmpfs vanishes with it and nothing on
the machine changes; the child copies what the download left into ``tmp_path`` before it exits.
Where mount namespaces or tmpfs mounts are not allowed (most CI containers), the tests skip and
say so. The downloader runs unmodified against the loopback fault server; the disk fills up in the
middle of a transfer, exactly as it would for a user.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from atek_store.cli import main
from atek_store.download.outputs import RESERVE_FILE
from atek_store.download.plan import plan_download
from atek_store.download.request import DownloadRequest
from atek_store.download.state import STATE_DIR
from atek_store.shardlists import load_shard_list
from tests.download.fake_store import FakeStore, build_store, download_args
from tests.fault_server import FaultServer
from tests.hostile.bounded_cli import CliCase, cli_cases_code

REPO = Path(__file__).resolve().parents[2]
SHARD = 64 * 1024
_MARK = "@@cases@@"

# Inside the namespace: mount, put the seed files in, optionally make it read-only, run, copy out.
_SCRIPT = """
set -e
mount -t tmpfs -o "size=$SIZE_KIB"k tmpfs "$OUT"
cp -a "$SEED/." "$OUT/"
if [ "$READ_ONLY" = 1 ]; then mount -o remount,ro "$OUT"; fi
set +e
"$PYTHON" -c "$CODE"
code=$?
cp -a "$OUT/." "$RESULT/"
exit $code
"""


def _namespace_prefix(probe: Path) -> list[str] | str:
    """The ``unshare`` command that may mount a tmpfs here, or why there is none."""
    if not sys.platform.startswith("linux"):
        return "tmpfs in a private mount namespace needs Linux"
    unshare = shutil.which("unshare")
    if unshare is None:
        return "util-linux `unshare` is not installed"
    tried = []
    for flags in (["--mount", "--map-root-user"], ["--mount"]):
        command = [unshare, *flags, "sh", "-c", 'mount -t tmpfs -o size=16k tmpfs "$0"', str(probe)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode == 0:
            return [unshare, *flags]
        tried.append(done.stderr.strip() or f"exit {done.returncode}")
    return f"this machine does not allow a tmpfs mount in a private mount namespace ({'; '.join(tried)})"


@pytest.fixture(scope="module")
def unshare(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    prefix = _namespace_prefix(tmp_path_factory.mktemp("probe"))
    if isinstance(prefix, str):
        pytest.skip(prefix)
    return prefix


def run_on_tmpfs(
    unshare: list[str],
    tmp_path: Path,
    cases: dict[str, list[str]],
    *,
    size_kib: int,
    seed: Path,
    read_only: bool = False,
) -> tuple[dict[str, CliCase], Path]:
    """Run CLI cases with ``tmp_path/out`` on a fresh tmpfs; their ends, and a copy of what they left."""
    out, result = tmp_path / "out", tmp_path / "result"
    out.mkdir()
    result.mkdir()
    code = cli_cases_code(cases) + f"\nprint({_MARK!r} + json.dumps(result), flush=True)\n"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "src"),
        "ATEK_STORE_NO_PROGRESS": "1",
        "ATEK_STORE_LOG_LEVEL": "ERROR",
        "SIZE_KIB": str(size_kib),
        "OUT": str(out),
        "SEED": str(seed),
        "RESULT": str(result),
        "READ_ONLY": "1" if read_only else "0",
        "PYTHON": sys.executable,
        "CODE": code,
    }
    done = subprocess.run(
        [*unshare, "sh", "-c", _SCRIPT], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(_MARK)), None)
    assert line is not None, done.stdout + done.stderr
    ends = {name: CliCase(**value) for name, value in json.loads(line[len(_MARK) :]).items()}
    return ends, result


@pytest.fixture
def store(fault_server: FaultServer, tmp_path: Path) -> FakeStore:
    layout = {"seq_a": 1, "seq_b": 1, "seq_c": 1, "seq_d": 1}
    return build_store(fault_server, tmp_path / "urls.json", layout, shard_size=SHARD)


def test_a_disk_that_fills_mid_download_still_gets_the_report_and_yamls(
    unshare: list[str], store: FakeStore, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    order = [
        shard.relpath
        for shard in plan_download(
            DownloadRequest(
                config_name=store.config,
                input_json_path=store.json_path,
                output_folder_path=out,
                download_wds_to_local=True,
            )
        ).shards
    ]
    # The last two shards in fetch order already have a file of the right size but wrong bytes: the
    # space check counts them as present, so the disk fills while the first of them is re-fetched.
    seed = tmp_path / "seed"
    for relpath in order[2:]:
        (seed / relpath).parent.mkdir(parents=True)
        (seed / relpath).write_bytes(bytes(SHARD))
    argv = download_args(store.json_path, out, "--workers", "1", config=store.config)
    ends, left = run_on_tmpfs(unshare, tmp_path, {"download": argv}, size_kib=360, seed=seed)

    end = ends["download"]
    assert end.code == 1, end.stderr
    assert "Traceback" not in end.stderr
    assert f"{out} is out of space" in end.stderr
    assert "bytes) free" in end.stderr
    report = json.loads((left / "download_report.json").read_text())
    statuses = {shard["relpath"]: shard["status"] for shard in report["shards"]}
    assert statuses == {**dict.fromkeys(order[:2], "downloaded"), **dict.fromkeys(order[2:], "failed")}
    assert all("No space left" in s["reason"] for s in report["shards"] if s["status"] == "failed")
    listed = sorted(
        entry for entries in load_shard_list(left / "local_all_tars.yaml").values() for entry in entries
    )
    assert listed == sorted(order[:2])
    for relpath in order[2:]:
        assert (left / relpath).read_bytes() == bytes(SHARD)  # the user's file keeps its place
    assert not (left / STATE_DIR / RESERVE_FILE).exists()


def test_a_read_only_output_folder_is_refused_in_both_modes(
    unshare: list[str], store: FakeStore, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    seed = tmp_path / "seed"
    seed.mkdir()
    cases = {
        "local": download_args(store.json_path, out, config=store.config),
        "local_subfolder": download_args(store.json_path, out / "sub", config=store.config),
        "streamable": download_args(store.json_path, out, config=store.config, local=False),
    }
    ends, left = run_on_tmpfs(unshare, tmp_path, cases, size_kib=64, seed=seed, read_only=True)
    for name, end in ends.items():
        assert end.code == 2, (name, end.stderr)
        assert "Traceback" not in end.stderr
        assert f"cannot write into {out}" in end.stderr, (name, end.stderr)
        assert "Read-only file system" in end.stderr, (name, end.stderr)
    assert list(left.iterdir()) == []
    assert store.server.log == []


def test_an_output_that_cannot_be_written_is_reported_and_the_others_are_still_written(
    store: FakeStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Portable (no mount): a folder squats on one YAML's name, so replacing it fails with an OSError.
    out = tmp_path / "out"
    (out / "local_train_tars.yaml").mkdir(parents=True)
    assert main(download_args(store.json_path, out, config=store.config)) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert (
        f"all 4 shards are verified; could not write {out / 'local_train_tars.yaml'}: Is a directory" in err
    )
    report = json.loads((out / "download_report.json").read_text())
    assert {shard["status"] for shard in report["shards"]} == {"downloaded"}
    assert (out / "local_all_tars.yaml").is_file()
    assert (out / "local_validation_tars.yaml").is_file()
    assert not (out / STATE_DIR / RESERVE_FILE).exists()
