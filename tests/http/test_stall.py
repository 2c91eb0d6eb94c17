"""The stall rule counts only time spent waiting for the network, window by window."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from atek_store.errors import StallError, UsageError
from atek_store.http import StallGuard, StallRule


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def slow_read(clock: Clock, seconds: float, data: bytes) -> Callable[[int], bytes]:
    def read(size: int) -> bytes:
        clock.now += seconds
        return data[:size]

    return read


def test_a_trickle_fails_at_the_end_of_its_window() -> None:
    clock = Clock()
    guard = StallGuard(StallRule(min_bytes_per_s=100, window_s=5), url="http://h/x", clock=clock)
    read = slow_read(clock, 1.0, b"x")  # one byte per second
    for _ in range(4):
        assert guard.timed_read(read, 10) == b"x"
    with pytest.raises(StallError, match=r"http://h/x stalled: 5 bytes in 5.0 s") as info:
        guard.timed_read(read, 10)
    assert info.value.retryable
    assert (info.value.received, info.value.min_bytes_per_s) == (5, 100)


def test_a_fast_enough_transfer_passes_window_after_window() -> None:
    clock = Clock()
    guard = StallGuard(StallRule(min_bytes_per_s=100, window_s=5), url="u", clock=clock)
    read = slow_read(clock, 1.0, bytes(150))
    for _ in range(50):
        guard.timed_read(read, 1000)


def test_time_between_reads_is_not_waiting() -> None:
    clock = Clock()
    guard = StallGuard(StallRule(min_bytes_per_s=1000, window_s=1), url="u", clock=clock)
    read = slow_read(clock, 0.01, bytes(100))  # 10 kB/s while reading
    for _ in range(500):
        guard.timed_read(read, 100)
        clock.now += 60.0  # the consumer (a training step) takes a minute between reads


def test_a_zero_rate_switches_the_rule_off() -> None:
    clock = Clock()
    guard = StallGuard(StallRule(min_bytes_per_s=0, window_s=1), url="u", clock=clock)
    read = slow_read(clock, 100.0, b"")
    for _ in range(10):
        guard.timed_read(read, 1)


@pytest.mark.parametrize(("rate", "window"), [(-1.0, 1.0), (1.0, 0.0), (float("nan"), 1.0)])
def test_bad_rules_are_refused(rate: float, window: float) -> None:
    with pytest.raises(UsageError):
        StallRule(min_bytes_per_s=rate, window_s=window)
