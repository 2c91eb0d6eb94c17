"""Preprocessing benchmark: frames per second in one process, sequences per minute on Ray.

Works on the real ADT test sequence in ``../shared/data/adt_test_sequence`` (6 rgb frames of
1408x1408, 3 depth frames, ground truth for 91 objects per rgb frame):

1. One process, ``preprocess_sequence``, each configuration ``--repeats`` times:

   * ``cubercnn-every-frame``: the store's ADT cubercnn config (undistort to linear + rotate the
     1408x1408 rgb frame, obb2 + obb3 GT) at 30 Hz with stride 1, so every rgb frame is a sample;
   * ``cubercnn-store``: the store's ADT cubercnn config as it is (10 Hz, stride 2: 1 sample);
   * ``efm-short``: the goldens' efm config (rgb 240x240 + 2 slam 320x240 + depth in metres as
     distance + semidense + efm GT; 2 frames per sample; 2 of 5 planned samples have depth).

   Printed per config: wall seconds per run (opening the recording and GT included), frames
   written, frames/s over the whole run, and the steady-state frames/s between the first and the
   last sample (what a long sequence approaches).

2. Ray: ``preprocess_many`` on ``--copies`` symlinked copies of the sequence with the
   ``cubercnn-every-frame`` config, on a local Ray with ``--num-cpus`` CPUs; the same copies one
   after another in this process as the baseline. Printed: Ray start-up seconds, wall seconds,
   sequences per minute, and the speed-up over the sequential run.

Usage: ``.venv/bin/python benchmarks/preprocess.py [--repeats 3] [--copies 8] [--num-cpus N] [--skip-ray]``
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()
sys.path.insert(0, str(REPO))

from atek_store.preprocess import parse_config, preprocess_many, preprocess_sequence  # noqa: E402

SEQUENCE = SHARED / "data" / "adt_test_sequence"
MAPPING = SHARED / "data" / "category_mappings" / "adt_prototype_to_atek.csv"


# projectaria-tools logs every file it opens to the process's stdout/stderr from C++; the figures
# go to a copy of the real stdout while those descriptors point at /dev/null.
REPORT: TextIO = sys.stdout


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def say(text: str) -> None:
    print(text, file=REPORT, flush=True)


def configs() -> dict[str, Any]:
    cubercnn = yaml.safe_load(
        (SHARED / "data/preprocess_configs/AriaDigitalTwin_cubercnn_config.yaml").read_text()
    )
    every_frame = yaml.safe_load(yaml.safe_dump(cubercnn))
    every_frame["camera_temporal_subsampler"].update(
        main_camera_target_freq_hz=30.0, stride_length_in_num_frames=1
    )
    efm = yaml.safe_load((SHARED / "golden/adt_efm_short_config.yaml").read_text())
    return {
        "cubercnn-every-frame": parse_config(every_frame, source="cubercnn-every-frame"),
        "cubercnn-store": parse_config(cubercnn, source="AriaDigitalTwin_cubercnn_config.yaml"),
        "efm-short": parse_config(efm, source="adt_efm_short_config.yaml"),
    }


def one_process(name: str, config: Any, repeats: int, work: Path) -> None:
    walls: list[float] = []
    steady: list[float] = []
    frames = 0
    for run in range(repeats):
        marks: list[float] = []
        started = time.perf_counter()
        with quiet():
            result = preprocess_sequence(
                config,
                SEQUENCE,
                sequence_name="bench",
                output_folder=work / f"{name}-{run}",
                category_mapping=MAPPING,
                progress=lambda done, total, marks=marks: marks.append(time.perf_counter()),
            )
        walls.append(time.perf_counter() - started)
        frames = result.frames_processed
        if result.samples_written == result.samples_planned > 1:
            # samples after the first one, over the time they took (files and GT already open)
            per_sample = frames / result.samples_written
            steady.append((result.samples_written - 1) * per_sample / (marks[-1] - marks[0]))
    wall = statistics.median(walls)
    steady_text = f"{statistics.median(steady):6.2f}" if steady else "   n/a"
    say(
        f"  {name:22s} {wall:7.2f} s/run  {frames:3d} frames  {frames / wall:6.2f} frames/s overall  "
        f"{steady_text} frames/s steady"
    )


def on_ray(config: Any, copies: int, num_cpus: int, work: Path) -> None:
    import ray

    raw = work / "raw"
    raw.mkdir()
    for index in range(copies):
        (raw / f"seq_{index:03d}").symlink_to(SEQUENCE)
    started = time.perf_counter()
    with quiet():
        sequential = preprocess_many(
            config, raw, output_root=work / "sequential", category_mapping=MAPPING, use_ray=False
        )
    sequential_s = time.perf_counter() - started
    assert sequential.count("done") == copies, sequential.failed

    with quiet():
        started = time.perf_counter()
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, configure_logging=False)
        startup_s = time.perf_counter() - started
        try:
            started = time.perf_counter()
            result = preprocess_many(config, raw, output_root=work / "ray", category_mapping=MAPPING)
            ray_s = time.perf_counter() - started
        finally:
            ray.shutdown()
    assert result.count("done") == copies, result.failed
    frames = sum(outcome.frames for outcome in result.outcomes)
    say(f"  {copies} copies, {frames} frames in all, local Ray with {num_cpus} CPUs")
    say(f"  sequential (one process): {sequential_s:7.2f} s  {copies / sequential_s * 60:7.1f} sequences/min")
    say(
        f"  Ray:                      {ray_s:7.2f} s  {copies / ray_s * 60:7.1f} sequences/min  "
        f"({frames / ray_s:.2f} frames/s; speed-up {sequential_s / ray_s:.2f}x; "
        f"Ray start-up {startup_s:.1f} s not included, "
        f"{copies / (ray_s + startup_s) * 60:.1f} sequences/min with it)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--num-cpus", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-ray", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    global REPORT
    REPORT = os.fdopen(os.dup(1), "w")
    say(f"machine: {os.cpu_count()} CPUs; sequence: {SEQUENCE}")
    work = Path(tempfile.mkdtemp(prefix="atek-preprocess-bench-"))
    try:
        loaded = configs()
        say(f"one process, median of {args.repeats} runs:")
        for name, config in loaded.items():
            one_process(name, config, args.repeats, work)
        if not args.skip_ray:
            say("many sequences:")
            on_ray(loaded["cubercnn-every-frame"], args.copies, args.num_cpus, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
