"""Run a piece of Python in a child process under a time and a memory bound, for hostile inputs.

A hostile input may hang a reader or make it allocate without end; run in the test process, such
a case would hang or kill the whole suite. ``run_bounded`` runs it in a fresh interpreter with an
address-space limit, kills it when the time is up, and reports how it ended and its peak memory,
so a test can assert "ends within a few seconds, with our error, under N MB".
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]

# The child prints one line with this prefix: the JSON of what the case returned or raised.
_RESULT = "@@bounded-result@@"

_PRELUDE = """
import json, sys, traceback
def _report(value):
    # VmHWM is this process's own peak: wait4's ru_maxrss also counts the forked copy of the suite.
    with open("/proc/self/status") as status:
        peak = [line.split()[1] for line in status if line.startswith("VmHWM:")]
    value["peak_kb"] = int(peak[0]) if peak else None
    print({marker!r} + json.dumps(value, default=str), flush=True)
try:
    result = (lambda: None)()
{body}
    _report({{"outcome": "returned", "value": result}})
except BaseException as error:  # noqa: BLE001 - the parent classifies it
    _report({{
        "outcome": "raised",
        "type": type(error).__name__,
        "module": type(error).__module__,
        "mro": [f"{{c.__module__}}.{{c.__name__}}" for c in type(error).__mro__],
        "message": str(error)[:2000],
        "traceback": traceback.format_exc()[-4000:],
    }})
"""


@dataclass(frozen=True)
class BoundedRun:
    """How a bounded child ended."""

    outcome: str  # "returned", "raised", "timeout", "crashed" (killed by a signal, or no result line)
    seconds: float
    peak_rss_mb: float
    value: Any = None  # what ``result`` held, for "returned"
    error_type: str | None = None
    error_mro: tuple[str, ...] = ()
    message: str = ""
    output: str = ""

    @property
    def ours(self) -> bool:
        """Whether the case raised one of atek-store's own errors."""
        return self.outcome == "raised" and "atek_store.errors.AtekStoreError" in self.error_mro


def _indent(code: str) -> str:
    return "\n".join("    " + line for line in code.strip("\n").splitlines())


def run_bounded(
    code: str,
    *,
    timeout_s: float = 10.0,
    max_memory_mb: int = 2048,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> BoundedRun:
    """Run ``code`` (statements; assign ``result`` to return a JSON-able value) in a child interpreter.

    The child's address space is capped at ``max_memory_mb`` (an allocation beyond it fails with
    MemoryError instead of taking the machine down); it is killed after ``timeout_s``. The peak
    resident memory is the child's own (its VmHWM; ``wait4``'s figure, which also counts the suite's
    memory forked into the child before exec, only when the child reported nothing).
    """
    script = _PRELUDE.format(marker=_RESULT, body=_indent(code))
    limit = max_memory_mb * 1024 * 1024

    def _limit_memory() -> None:  # runs in the child, before exec
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    child_env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src"), **(env or {})}
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=child_env,
        cwd=cwd,
        preexec_fn=_limit_memory,  # a resource limit must be set in the child, before exec
        start_new_session=True,
    )
    timed_out = threading.Event()

    def _kill() -> None:
        timed_out.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    timer = threading.Timer(timeout_s, _kill)
    timer.start()
    try:
        assert process.stdout is not None
        output = process.stdout.read().decode("utf-8", "replace")
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
        process.stdout.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    peak_mb = usage.ru_maxrss / 1024.0  # kilobytes on Linux
    if timed_out.is_set():
        return BoundedRun("timeout", seconds, peak_mb, output=output[-4000:])
    line = next((ln for ln in reversed(output.splitlines()) if ln.startswith(_RESULT)), None)
    if line is None:
        return BoundedRun("crashed", seconds, peak_mb, output=output[-4000:])
    result = json.loads(line[len(_RESULT) :])
    if result.get("peak_kb") is not None:
        peak_mb = result["peak_kb"] / 1024.0
    if result["outcome"] == "returned":
        return BoundedRun("returned", seconds, peak_mb, value=result["value"], output=output[-4000:])
    return BoundedRun(
        "raised",
        seconds,
        peak_mb,
        error_type=result["type"],
        error_mro=tuple(result["mro"]),
        message=result["message"],
        output=result["traceback"],
    )
