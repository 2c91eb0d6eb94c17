"""Resuming on another world size or number of workers reads the rest of the epoch exactly once.

Ranks are simulated one after another in this process through ``RANK``/``WORLD_SIZE`` (the
DataLoader workers are real processes); each rank saves its own state and
``merge_loader_states`` combines them, as a job without ``torch.distributed`` would.
``test_distributed.py`` runs the same grids as separate processes under gloo.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

import pytest

from atek_store import create_native_atek_dataloader, simple_list_collation_fn
from atek_store.loading import merge_loader_states
from tests.loading.test_resume import ident

COMMON: dict[str, Any] = {"shuffle_flag": True, "seed": 5, "shuffle_window": 3}


def assert_each_once(pairs: Iterable[Any], count: int = 24) -> None:
    """Every one of the ``count`` samples of the small store was read, none twice."""
    seen = Counter(tuple(pair) for pair in pairs)
    assert len(seen) == count
    assert set(seen.values()) == {1}


def run_phase(
    monkeypatch: pytest.MonkeyPatch,
    urls: Any,
    world: int,
    workers: int,
    *,
    stop: int | None,
    state: dict[str, Any] | None,
    only_rank: int | None = None,
    **options: Any,
) -> tuple[list[list[Any]], dict[str, Any]]:
    """Every rank of one topology reads ``stop`` items (None: to the end); their merged state.

    With ``only_rank``, the state returned is that rank's own (as a job without
    ``torch.distributed`` would keep), not the merge.
    """
    seen, states = [], []
    for rank in range(world):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", str(world))
        loader = create_native_atek_dataloader(urls, num_workers=workers, **{**COMMON, **options})
        if state is not None:
            loader.load_state_dict(state)
        seen.append([ident(item) for item in itertools.islice(loader, stop)])
        states.append(json.loads(json.dumps(loader.state_dict())))
    return seen, merge_loader_states(states) if only_rank is None else states[only_rank]


@pytest.mark.parametrize(
    ("before", "after", "stop"),
    [((2, 2), (3, 1), 3), ((1, 0), (4, 2), 7), ((3, 1), (2, 2), 2), ((2, 1), (1, 0), 5)],
    ids=["2x2-3x1", "1x0-4x2", "3x1-2x2", "2x1-1x0"],
)
def test_a_changed_topology_reads_the_rest_of_the_epoch_exactly_once(
    monkeypatch: pytest.MonkeyPatch,
    small_urls: list[str],
    before: tuple[int, int],
    after: tuple[int, int],
    stop: int,
) -> None:
    head, state = run_phase(monkeypatch, small_urls, *before, stop=stop, state=None)
    rest, _ = run_phase(monkeypatch, small_urls, *after, stop=None, state=state)
    assert_each_once(pair for rank in head + rest for pair in rank)


def test_batches_resume_through_three_topologies_in_one_epoch(
    monkeypatch: pytest.MonkeyPatch, small_urls: list[str]
) -> None:
    batched = {"batch_size": 3, "collation_fn": simple_list_collation_fn}
    first, state = run_phase(monkeypatch, small_urls, 2, 2, stop=2, state=None, **batched)
    second, state = run_phase(monkeypatch, small_urls, 1, 2, stop=1, state=state, **batched)
    rest, _ = run_phase(monkeypatch, small_urls, 3, 0, stop=None, state=state, **batched)
    assert_each_once(pair for rank in first + second + rest for batch in rank for pair in batch)


def test_each_rank_resumes_from_its_own_state_on_the_same_topology(
    monkeypatch: pytest.MonkeyPatch, small_urls: list[str]
) -> None:
    full, _ = run_phase(monkeypatch, small_urls, 2, 2, stop=None, state=None)
    for rank in range(2):
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", "2")
        loader = create_native_atek_dataloader(small_urls, num_workers=2, **COMMON)
        head = [ident(item) for item in itertools.islice(loader, 4)]
        resumed = create_native_atek_dataloader(small_urls, num_workers=2, **COMMON)
        resumed.load_state_dict(loader.state_dict())  # this rank's state alone
        assert head + [ident(item) for item in resumed] == full[rank]


@pytest.mark.parametrize(
    ("before", "after", "keep"),
    [((2, 2), (3, 1), 1), ((3, 0), (1, 2), 0), ((2, 2), (2, 2), 1)],
    ids=["2x2-3x1", "3x0-1x2", "2x2-same"],
)
def test_one_ranks_own_state_resumes_every_rank_of_a_job_in_lockstep(
    monkeypatch: pytest.MonkeyPatch,
    small_urls: list[str],
    before: tuple[int, int],
    after: tuple[int, int],
    keep: int,
) -> None:
    """Without torch.distributed, the other ranks' readers are replayed from one rank's progress."""
    head, state = run_phase(monkeypatch, small_urls, *before, stop=3, state=None, only_rank=keep)
    assert state["readers"]["observed"] == [rank == keep for rank in range(before[0])]
    rest, _ = run_phase(monkeypatch, small_urls, *after, stop=None, state=state)
    assert_each_once(pair for rank in head + rest for pair in rank)


def test_a_repeating_pass_resumes_across_the_epoch_boundary(
    monkeypatch: pytest.MonkeyPatch, small_urls: list[str]
) -> None:
    urls = small_urls[:4]  # 8 samples an epoch
    head, state = run_phase(monkeypatch, urls, 1, 2, stop=11, state=None, repeat_flag=True)
    rest, _ = run_phase(monkeypatch, urls, 1, 0, stop=5, state=state, repeat_flag=True)
    seen = Counter(pair for rank in head + rest for pair in rank)
    assert set(seen.values()) == {2}  # epochs 0 and 1 whole, nothing of epoch 2 yet
    assert len(seen) == 8
