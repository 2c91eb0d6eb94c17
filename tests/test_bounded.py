"""The hostile-input harness itself: errors, timeouts, memory limits and values come back."""

from __future__ import annotations

from tests.bounded import run_bounded


def test_bounded_child_reports_our_error() -> None:
    run = run_bounded("from atek_store.errors import FormatError\nraise FormatError('x', shard='s')")
    assert run.outcome == "raised"
    assert run.ours
    assert run.message == "x (shard s)"


def test_bounded_child_is_killed_at_its_timeout() -> None:
    assert run_bounded("import time\ntime.sleep(30)", timeout_s=1).outcome == "timeout"


def test_bounded_child_cannot_allocate_past_its_limit() -> None:
    run = run_bounded("x = bytearray(3 * 1024**3)", max_memory_mb=1024)
    assert run.outcome == "raised"
    assert run.error_type == "MemoryError"


def test_bounded_child_returns_its_result_and_its_own_peak_memory() -> None:
    run = run_bounded("result = 1 + 1")
    assert run.value == 2
    assert run.peak_rss_mb < 100
