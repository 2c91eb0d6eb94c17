"""The shared deadline thread: callbacks run at their deadline, cancelled ones never, also after fork."""

from __future__ import annotations

import multiprocessing
import threading

from atek_store.http.watchdog import Watchdog


def test_a_callback_runs_once_its_deadline_passes() -> None:
    dog = Watchdog()
    fired = threading.Event()
    dog.after(0.01, fired.set)
    assert fired.wait(10)


def test_a_cancelled_callback_never_runs() -> None:
    dog = Watchdog()
    calls: list[str] = []
    done = threading.Event()
    dog.after(0.0, lambda: calls.append("cancelled")).cancel()
    # Same deadline, registered later: it runs after the cancelled one would have.
    dog.after(0.0, lambda: (calls.append("kept"), done.set()))
    assert done.wait(10)
    assert calls == ["kept"]


def _child(queue: multiprocessing.Queue[bool]) -> None:
    from atek_store.http.watchdog import watchdog

    fired = threading.Event()
    watchdog.after(0.01, fired.set)
    queue.put(fired.wait(10))


def test_a_forked_child_gets_its_own_thread() -> None:
    from atek_store.http.watchdog import watchdog

    started = threading.Event()
    watchdog.after(0.0, started.set)  # the parent's thread exists before the fork
    assert started.wait(10)
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[bool] = context.Queue()
    child = context.Process(target=_child, args=(queue,))
    child.start()
    assert queue.get(timeout=30) is True
    child.join(30)
    assert child.exitcode == 0


def test_cancel_returns_only_after_a_callback_that_already_started() -> None:
    dog = Watchdog()
    started, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def callback() -> None:
        started.set()
        release.wait(10)
        calls.append("fired")

    deadline = dog.after(0.0, callback)
    assert started.wait(10)
    seen_after_cancel: list[list[str]] = []
    canceller = threading.Thread(target=lambda: (deadline.cancel(), seen_after_cancel.append(list(calls))))
    canceller.start()
    release.set()
    canceller.join(10)
    assert seen_after_cancel == [["fired"]]
