"""Start-up benchmark: whole-process wall time and peak RSS of the everyday commands.

Writes a small synthetic store, publishes it as a URL JSON and serves it on 127.0.0.1 (our own
store server, in this process); then runs each command as a real ``python -m atek_store``
process, ``--runs`` times, each time into fresh output folders. Wall time runs from the spawn to
the exit (``serve``: to its ready line), peak RSS comes from ``wait4``. One more run of each
command under a probe records which heavy packages (torch, numpy, PIL, simplejpeg) it imported.

Printed: a table (median and min seconds, median peak RSS, heavy packages imported) and one
PASS/FAIL line per target: ``--help`` <= 0.3 s; ``download`` (dry run, local, streamable),
``list``, ``configs``, ``verify``, ``publish --check tar`` and ``serve`` never import torch; a
local download peaks at <= 100 MB. Exit status 1 when a target fails.

Usage: ``.venv/bin/python benchmarks/startup.py [--runs 5] [--sequences 3] [--samples 12]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.cli.startup_commands import (  # noqa: E402
    TORCH_FREE,
    Command,
    commands,
    interrupt,
    quiet_environment,
    run_probed,
    served_store,
    start,
    wait_until_serving,
)

HELP_SECONDS = 0.3
DOWNLOAD_PEAK_MB = 100.0


# The timed process is forked from this tiny launcher rather than from the benchmark itself:
# Linux counts the RSS a child had before exec in its peak (ru_maxrss), and the benchmark holds
# torch and the store server. The launcher times fork to exit on CLOCK_MONOTONIC (shared by all
# processes, so the ready time of ``serve`` can be measured from the same start), forwards
# SIGINT, and writes "start end exit_code maxrss_kb" to the file named by its first argument.
_LAUNCHER = """
import os, signal, sys, time
started = time.monotonic()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
signal.signal(signal.SIGINT, lambda *_: os.kill(pid, signal.SIGINT))
_, status, usage = os.wait4(pid, 0)
ended = time.monotonic()
with open(sys.argv[1], "w") as f:
    f.write(f"{started} {ended} {os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float


def timed(command: Command, env: dict[str, str], stats: Path) -> Run:
    """One whole-process run: spawn to exit (``serve``: spawn to ready), peak RSS from wait4."""
    process = start(command, env=env, wrapper=[sys.executable, "-S", "-c", _LAUNCHER, str(stats)])
    ready = None
    if command.serves:
        wait_until_serving(process)
        ready = time.monotonic()
        interrupt(process)
    stdout, stderr = process.communicate()
    started, ended, code, maxrss_kb = stats.read_text().split()
    if process.returncode != 0 or int(code) != 0:
        raise SystemExit(f"{command.name} exited with {code}:\n{stdout}\n{stderr}")
    seconds = (ready if ready is not None else float(ended)) - float(started)
    return Run(seconds=seconds, peak_mb=int(maxrss_kb) / 1024)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (median reported)")
    parser.add_argument("--sequences", type=int, default=3, help="sequences of the synthetic store")
    parser.add_argument("--samples", type=int, default=12, help="samples per sequence")
    args = parser.parse_args()
    env = quiet_environment()
    with (
        tempfile.TemporaryDirectory(prefix="atek-startup-") as tmp,
        served_store(Path(tmp), sequences=args.sequences, samples_per_sequence=args.samples) as store,
    ):
        size = sum(p.stat().st_size for p in store.root.rglob("*.tar"))
        shards = sum(1 for _ in store.root.rglob("*.tar"))
        print(
            f"store: {shards} shards, {size / 1e6:.1f} MB, served at {store.base_url}; {args.runs} runs each"
        )
        runs: dict[str, list[Run]] = {}
        for index in range(args.runs):
            for command in commands(store, Path(tmp) / f"run{index}"):
                runs.setdefault(command.name, []).append(timed(command, env, Path(tmp) / "stats.txt"))
        heavy: dict[str, list[str]] = {}
        for command in commands(store, Path(tmp) / "probe"):
            finished = run_probed(command, env=env, probe_out=Path(tmp) / "probe-modules.txt")
            if finished.returncode != 0:
                raise SystemExit(
                    f"{command.name} (probe) exited with {finished.returncode}:\n{finished.stderr}"
                )
            heavy[command.name] = finished.heavy_modules()

    print(f"\n{'command':22s} {'median s':>9s} {'min s':>7s} {'peak MB':>8s}  heavy packages imported")
    for name, results in runs.items():
        median = statistics.median(r.seconds for r in results)
        fastest = min(r.seconds for r in results)
        peak = statistics.median(r.peak_mb for r in results)
        print(f"{name:22s} {median:9.3f} {fastest:7.3f} {peak:8.1f}  {', '.join(heavy[name]) or '-'}")

    checks = [
        (
            f"--help median <= {HELP_SECONDS} s",
            statistics.median(r.seconds for r in runs["--help"]) <= HELP_SECONDS,
        )
    ]
    checks += [(f"{name}: torch never imported", "torch" not in heavy[name]) for name in TORCH_FREE]
    local_peak = statistics.median(r.peak_mb for r in runs["download local"])
    checks.append(
        (
            f"download local peak RSS <= {DOWNLOAD_PEAK_MB:g} MB ({local_peak:.1f} MB)",
            local_peak <= DOWNLOAD_PEAK_MB,
        )
    )
    print()
    for label, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
