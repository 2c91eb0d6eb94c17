"""Without ../shared, the tests that need it skip with one reason, or stop the run under CI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

_TESTS = """
import pytest

def test_reads_the_goldens(golden_dir):
    assert golden_dir.is_dir()

@pytest.mark.shared
def test_reads_shared_by_path():
    raise AssertionError("must not run without ../shared")

def test_needs_nothing():
    pass
"""


def _run_clone_elsewhere(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a tiny suite under our conftest in a checkout that has no ../shared beside it."""
    tests = tmp_path / "clone" / "tests"
    tests.mkdir(parents=True)
    shutil.copy(Path(__file__).with_name("conftest.py"), tests / "conftest.py")
    (tests / "test_uses_shared.py").write_text(_TESTS)
    environment = {key: value for key, value in os.environ.items() if key != "CI"} | env
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "tests"],
        cwd=tests.parent,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def no_shared_beside(tmp_path: Path) -> Path:
    assert not (tmp_path / "shared").exists()
    return tmp_path


def test_tests_needing_shared_skip_with_one_reason(no_shared_beside: Path) -> None:
    done = _run_clone_elsewhere(no_shared_beside)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 2 skipped" in done.stdout
    reasons = {line.split(": ", 1)[1] for line in done.stdout.splitlines() if line.startswith("SKIPPED")}
    assert len(reasons) == 1, done.stdout
    assert reasons.pop().startswith("needs ../shared, which is not at ")


def test_under_ci_a_missing_shared_folder_stops_the_run(no_shared_beside: Path) -> None:
    done = _run_clone_elsewhere(no_shared_beside, CI="true")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "CI is set and 2 selected tests need ../shared, which is not at " in done.stdout + done.stderr
    assert "passed" not in done.stdout
