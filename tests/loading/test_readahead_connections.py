"""A rank's read-ahead connections are shared by its workers, each keeping a few of its own."""

from __future__ import annotations

from atek_store.loading.readahead import (
    DEFAULT_CONNECTIONS,
    MIN_CONNECTIONS_PER_READER,
    connections_per_reader,
)


def test_one_reader_gets_the_whole_budget() -> None:
    assert connections_per_reader(1) == DEFAULT_CONNECTIONS


def test_workers_share_the_budget_but_keep_a_floor() -> None:
    assert connections_per_reader(2) == DEFAULT_CONNECTIONS // 2
    assert connections_per_reader(64) == MIN_CONNECTIONS_PER_READER
    assert all(connections_per_reader(n) * n >= DEFAULT_CONNECTIONS - n for n in range(1, 9))
