"""The hostile-input harness itself: errors, timeouts, memory limits and values come back."""

from __future__ import annotations

from tests.bounded import run_bounded


def test_bounded_child_reports_error_timeout_memory_and_value():
    r = run_bounded("from atek_store.errors import FormatError\nraise FormatError('x', shard='s')")
    assert r.ours and r.outcome == "raised", r
    r = run_bounded("import time\ntime.sleep(30)", timeout_s=1)
    assert r.outcome == "timeout", r
    r = run_bounded("x = bytearray(3 * 1024**3)", max_memory_mb=1024)
    assert r.outcome == "raised" and r.error_type == "MemoryError", r
    r = run_bounded("result = 1 + 1")
    assert r.value == 2 and r.peak_rss_mb < 100, r
