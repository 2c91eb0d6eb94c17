"""One thread per process that runs callbacks at their deadlines, unless they were cancelled first.

The header deadline of every request (:mod:`atek_store.http.pooled`) needs "call this in 30 s
unless the answer came": a ``threading.Timer`` per request costs a thread start and stop each
time (1-2 ms of CPU, measurable when a reader streams small byte ranges), so every deadline of the
process shares this one thread, which sleeps until the earliest deadline. A forked child (a
DataLoader worker) starts its own thread on first use.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import os
import threading
import time
import weakref
from collections.abc import Callable

__all__ = ["Deadline", "Watchdog", "watchdog"]


class Deadline:
    """A pending callback; :meth:`cancel` it once what it guards has finished."""

    __slots__ = ("_callback", "_lock", "cancelled")

    def __init__(self, callback: Callable[[], None]) -> None:
        self._callback = callback
        self._lock = threading.Lock()
        self.cancelled = False

    def cancel(self) -> None:
        """The callback will not run; if it had started, this returns once it has finished.

        So the guarded code can tell afterwards whether the callback ran (the header deadline
        checks its flag after cancelling: a shutdown that lands later would go unnoticed).
        """
        with self._lock:
            self.cancelled = True

    def fire(self) -> None:
        """Run the callback unless cancelled."""
        with self._lock:
            if not self.cancelled:
                self._callback()


class Watchdog:
    """Runs each registered callback at its deadline on one daemon thread."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._counter = itertools.count()
        self._reset()
        # A fork may happen while this process's thread holds the lock: the child gets a fresh one.
        os.register_at_fork(after_in_child=functools.partial(_reset_in_child, weakref.ref(self)))

    def _reset(self) -> None:
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int, Deadline]] = []
        self._pid: int | None = None

    def after(self, seconds: float, callback: Callable[[], None]) -> Deadline:
        """Call ``callback`` once ``seconds`` have passed, unless the returned handle is cancelled."""
        deadline = Deadline(callback)
        with self._lock:
            if self._pid != os.getpid():
                self._start()
            heapq.heappush(self._heap, (self._clock() + seconds, next(self._counter), deadline))
            if self._heap[0][2] is deadline:
                self._lock.notify()
        return deadline

    def _start(self) -> None:
        # Called with the lock held, on first use in this process (a forked child starts its own).
        self._pid = os.getpid()
        threading.Thread(target=self._run, name="atek-http-deadlines", daemon=True).start()

    def _run(self) -> None:
        while True:
            with self._lock:
                while self._heap and self._heap[0][2].cancelled:
                    heapq.heappop(self._heap)  # finished requests leave nothing behind
                if not self._heap:
                    self._lock.wait()
                    continue
                when = self._heap[0][0]
                now = self._clock()
                if when > now:
                    self._lock.wait(when - now)
                    continue
                _, _, due = heapq.heappop(self._heap)
            due.fire()


def _reset_in_child(ref: weakref.ref[Watchdog]) -> None:
    dog = ref()
    if dog is not None:
        dog._reset()


watchdog = Watchdog()
"""The process's shared watchdog."""
