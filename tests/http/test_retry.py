"""The retry policy and budget: seeded jitter, capped Retry-After, bounded totals, progress rules."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atek_store.errors import StallError, TransferError, UrlsExpiredError, UsageError
from atek_store.http import RetryBudget, RetryPolicy


def busy(retry_after: float | None = None) -> TransferError:
    return TransferError("HTTP 503 for x", status=503, retryable=True, retry_after=retry_after)


def stall() -> StallError:
    return StallError("x stalled", received=3, window_s=5.0, min_bytes_per_s=1024)


def test_backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() -> None:
    policy = RetryPolicy(base_s=1.0, cap_s=8.0)
    rng = random.Random(0)
    for failures, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0), (500, 8.0)]:
        wait = policy.delay(failures, rng)
        assert ceiling / 2 <= wait <= ceiling


def test_retry_after_is_honoured_up_to_its_cap() -> None:
    policy = RetryPolicy(base_s=0.1, max_retry_after_s=60.0)
    rng = random.Random(0)
    assert policy.delay(1, rng, retry_after=7.0) == 7.0
    assert policy.delay(1, rng, retry_after=300.0) == 60.0


def test_jitter_is_seeded_per_transfer() -> None:
    policy = RetryPolicy(seed=5)
    first = [policy.delay(n, policy.rng_for("a/shards-0000.tar")) for n in (1, 2, 3)]
    again = [policy.delay(n, policy.rng_for("a/shards-0000.tar")) for n in (1, 2, 3)]
    other = [policy.delay(n, policy.rng_for("a/shards-0001.tar")) for n in (1, 2, 3)]
    assert first == again != other


def test_a_non_retryable_error_ends_the_transfer_at_once() -> None:
    budget = RetryBudget(RetryPolicy(), random.Random(0))
    refused = UrlsExpiredError("HTTP 403", status=403)
    with pytest.raises(UrlsExpiredError):
        budget.next_wait(refused, progressed=True)


def test_progress_resumes_at_once_and_resets_the_failures_but_has_its_own_limit() -> None:
    budget = RetryBudget(RetryPolicy(retries=1, resumes=2), random.Random(0))
    assert budget.next_wait(busy(), progressed=False) > 0
    assert budget.next_wait(busy(), progressed=True) == 0.0
    assert budget.failures == 0
    assert budget.next_wait(busy(), progressed=False) > 0  # the reset made room for this retry
    assert budget.next_wait(busy(), progressed=True) == 0.0
    with pytest.raises(TransferError, match=r"HTTP 503 for x \(gave up after 2 resumes\)"):
        budget.next_wait(busy(), progressed=True)


def test_a_stall_never_counts_as_progress() -> None:
    budget = RetryBudget(RetryPolicy(retries=0), random.Random(0))
    with pytest.raises(StallError, match="gave up after 0 retries") as info:
        budget.next_wait(stall(), progressed=True)
    assert info.value.received == 3  # the same error, fields kept


def test_the_total_wait_is_bounded_whatever_the_server_asks() -> None:
    budget = RetryBudget(
        RetryPolicy(retries=100, max_retry_after_s=40, max_total_wait_s=100), random.Random(0)
    )
    assert budget.next_wait(busy(retry_after=1e9), progressed=False) == 40
    assert budget.next_wait(busy(retry_after=1e9), progressed=False) == 40
    with pytest.raises(TransferError, match="exceed the 100 s"):
        budget.next_wait(busy(retry_after=1e9), progressed=False)
    assert budget.waited_s == 80


@given(
    outcomes=st.lists(st.tuples(st.booleans(), st.booleans(), st.floats(0, 1e6) | st.none()), max_size=200),
    retries=st.integers(0, 6),
    resumes=st.integers(0, 6),
    seed=st.integers(0, 2**32),
)
def test_a_budget_bounds_attempts_and_waiting(
    outcomes: list[tuple[bool, bool, float | None]], retries: int, resumes: int, seed: int
) -> None:
    policy = RetryPolicy(
        retries=retries, resumes=resumes, cap_s=10, max_retry_after_s=20, max_total_wait_s=50
    )
    budget = RetryBudget(policy, random.Random(seed))
    attempts = 1
    for progressed, stalled, retry_after in outcomes:
        error = stall() if stalled else busy(retry_after)
        try:
            wait = budget.next_wait(error, progressed=progressed)
        except TransferError:
            break
        assert 0 <= wait <= 20
        attempts += 1
    assert budget.waited_s <= 50
    assert attempts <= 1 + (retries + 1) * (resumes + 1)


@pytest.mark.parametrize("field", ["retries", "resumes", "base_s", "max_total_wait_s"])
def test_negative_limits_are_refused(field: str) -> None:
    with pytest.raises(UsageError, match=field):
        RetryPolicy(**{field: -1})
