"""A reader gets its own connections while its rank stays within budget; past that, workers share it."""

from __future__ import annotations

from atek_store.loading.readahead import (
    DEFAULT_CONNECTIONS,
    MIN_CONNECTIONS_PER_READER,
    RANK_CONNECTIONS,
    connections_per_reader,
)


def test_a_reader_gets_its_full_share_while_the_rank_stays_within_budget() -> None:
    assert connections_per_reader(0) == connections_per_reader(1) == DEFAULT_CONNECTIONS
    fitting = RANK_CONNECTIONS // DEFAULT_CONNECTIONS
    assert connections_per_reader(fitting) == DEFAULT_CONNECTIONS


def test_many_workers_share_the_rank_budget_but_keep_a_floor() -> None:
    for readers in range(1, 65):
        share = connections_per_reader(readers)
        assert MIN_CONNECTIONS_PER_READER <= share <= DEFAULT_CONNECTIONS
        assert share * readers <= max(RANK_CONNECTIONS, MIN_CONNECTIONS_PER_READER * readers)
    assert connections_per_reader(8) == RANK_CONNECTIONS // 8
    assert connections_per_reader(64) == MIN_CONNECTIONS_PER_READER
