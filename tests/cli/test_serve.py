"""``atek-store serve`` as a real process: it serves, and stops cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import urllib3

from atek_store import UrlSigner
from tests.store.builders import build_store

SECRET = "serve-cli-secret-0123456789"


@pytest.fixture
def store(tmp_path: Path, golden_dir: Path) -> Path:
    return build_store(tmp_path / "store", golden_dir)


def start(args: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "atek_store", "serve", *args, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"at (http://127\.0\.0\.1:\d+)", line)
    if match is None:
        process.kill()
        pytest.fail(f"no 'serving ... at URL' line: {line!r} {process.communicate()[1]}")
    return process, match.group(1)


@pytest.fixture
def stop_later() -> Iterator[list[subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)  # reaps it and closes its pipes


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_then_exits_0_promptly_on_a_signal(
    store: Path, stop_later: list[subprocess.Popen[str]], signum: signal.Signals
) -> None:
    process, url = start([str(store), "--secret", SECRET])
    stop_later.append(process)
    http = urllib3.PoolManager(retries=False, timeout=10)
    signed = UrlSigner(SECRET).sign_url(url, "efm/seqC/shards-0000.tar", int(time.time()) + 60)
    response = http.request("GET", signed)
    assert response.status == 200
    assert response.data == (store / "efm/seqC/shards-0000.tar").read_bytes()
    assert http.request("GET", signed.split("?")[0]).status == 403
    sent = time.monotonic()
    process.send_signal(signum)
    assert process.wait(timeout=10) == 0
    assert time.monotonic() - sent < 5
    assert "stopped" in process.communicate()[0]


def test_serve_takes_the_secret_from_the_environment(
    store: Path, stop_later: list[subprocess.Popen[str]]
) -> None:
    process, url = start([str(store), "--no-access-log"], env={"ATEK_STORE_SECRET": SECRET})
    stop_later.append(process)
    http = urllib3.PoolManager(retries=False, timeout=10)
    assert http.request("HEAD", f"{url}/efm/seqC/shards-0000.tar").status == 403
    signed = UrlSigner(SECRET).sign_url(url, "efm/seqC/shards-0000.tar", int(time.time()) + 60)
    assert http.request("HEAD", signed).status == 200
    process.terminate()
    process.communicate(timeout=10)
    assert process.returncode == 0


def test_serving_a_missing_folder_exits_2_with_a_message(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "atek_store", "serve", str(tmp_path / "missing"), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "not a folder" in result.stderr
    assert "Traceback" not in result.stderr
