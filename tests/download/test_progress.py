"""Progress: a byte bar with a shard counter on a terminal, log lines otherwise."""

from __future__ import annotations

import io
import logging

import pytest

from atek_store.download.progress import ConsoleProgress
from atek_store.download.report import ShardOutcome


def outcome(status: str) -> ShardOutcome:
    return ShardOutcome(
        "s",
        "k_tar",
        "s/k.tar",
        10,
        "0" * 40,
        status,  # the string value is taken as the ShardStatus it names
        reason="HTTP 503" if status == "failed" else None,
    )


def test_bar_shows_bytes_and_shards_done() -> None:
    stream = io.StringIO()
    progress = ConsoleProgress(bar=True, stream=stream)
    progress.start(total_bytes=20, total_shards=2)
    progress.advance(10)
    progress.shard_finished(outcome("downloaded"))
    progress.advance(10)
    progress.shard_finished(outcome("present"))
    progress.close()
    text = stream.getvalue()
    assert "20.0/20.0" in text or "20/20" in text
    assert "shards 2/2" in text


def test_log_lines_when_not_a_terminal_and_failures_logged(caplog: pytest.LogCaptureFixture) -> None:
    stream = io.StringIO()
    progress = ConsoleProgress(stream=stream, log_every_s=3600)
    with caplog.at_level(logging.INFO, logger="atek_store.download"):
        progress.start(total_bytes=20, total_shards=2)
        progress.advance(10)
        progress.shard_finished(outcome("failed"))
        progress.advance(10)
        progress.shard_finished(outcome("downloaded"))
        progress.close()
    messages = [record.getMessage() for record in caplog.records]
    assert stream.getvalue() == ""
    assert messages[0] == "2 shards selected, 20 B in all (verified ones are skipped)"
    assert "s/k.tar: failed (HTTP 503)" in messages
    assert messages[-1].startswith("20 B of 20 B")
    assert messages[-1].endswith("shards 2/2 done, 1 failed")
