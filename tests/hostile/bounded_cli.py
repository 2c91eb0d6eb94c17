"""Run many ``atek-store`` command lines in one bounded child: exit code, stderr and time of each.

One child per test keeps the interpreter start (and the imports) from being paid per case, while
the bound still holds for all of them: a case that hangs or allocates without end ends the child.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from tests.bounded import BoundedRun, run_bounded

_CHILD = """
import contextlib, io, json, time, traceback
from atek_store.cli import main
result = {{}}
for name, argv in json.loads({cases!r}).items():
    err = io.StringIO()
    started = time.monotonic()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    except BaseException:  # noqa: BLE001 - a traceback is what the case must not produce
        code = None
        err.write(traceback.format_exc())
    text = err.getvalue()
    seconds = time.monotonic() - started
    result[name] = {{"code": code, "stderr": text[:4000], "chars": len(text), "seconds": seconds}}
"""


def cli_cases_code(cases: dict[str, list[str]]) -> str:
    """Statements that run every case and leave ``{name: {code, stderr, chars, seconds}}`` in ``result``."""
    return _CHILD.format(cases=json.dumps(cases))


@dataclass(frozen=True)
class CliCase:
    """How one command line ended in the child."""

    code: int | None  # None: it raised instead of returning an exit code
    stderr: str  # the first 4000 characters
    chars: int  # the full length of what it wrote to stderr
    seconds: float


def run_cli_cases(
    cases: dict[str, list[str]], *, timeout_s: float = 90.0, max_memory_mb: int = 2048
) -> tuple[BoundedRun, dict[str, CliCase]]:
    """Run ``main(argv)`` for every case in one child under the bounds; the run and each case's end."""
    run = run_bounded(cli_cases_code(cases), timeout_s=timeout_s, max_memory_mb=max_memory_mb)
    assert run.outcome == "returned", f"{run.outcome}: {run.message}\n{run.output}"
    return run, {name: CliCase(**value) for name, value in run.value.items()}


def assert_refused_cleanly(case: CliCase, *needles: str, seconds: float = 10.0) -> None:
    """Exit 2 with one short ``atek-store: error:`` line that contains every needle, fast."""
    assert case.code == 2, case.stderr
    assert "Traceback" not in case.stderr
    errors = [line for line in case.stderr.splitlines() if line.startswith("atek-store: error: ")]
    assert len(errors) == 1, case.stderr
    assert case.chars < 2000, f"a message of {case.chars} characters embeds the input"
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    assert case.seconds < seconds
