"""The end-to-end demo behind ``make demo``: build a local store and use it as a user would."""

from __future__ import annotations

import logging
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from atek_store.format import iter_shard
from atek_store.synthetic import write_synthetic_store

__all__ = ["DemoReport", "run_demo"]

_log = logging.getLogger(__name__)


@dataclass
class DemoReport:
    """What the demo did and measured."""

    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        """Record (and log) one line of the summary."""
        _log.info(line)
        self.lines.append(line)


def _objects_per_category(sample: dict[str, object]) -> Counter[str]:
    counts: Counter[str] = Counter()
    gt = sample.get("gt_data")
    if not isinstance(gt, dict):
        return counts
    for group in ("obb3_gt",):
        for per_camera in gt.get(group, {}).values():
            counts.update(per_camera.get("category_names", []))
    for per_time in gt.get("efm_gt", {}).values():
        camera = per_time.get("camera-rgb", {})
        counts.update(camera.get("category_names", []))
    return counts


def run_demo(workdir: str | Path, *, seed: int = 0, echo: Callable[[str], None] = print) -> DemoReport:
    """Generate a synthetic store of two configurations, read every shard back and summarise it."""
    workdir = Path(workdir)
    store = workdir / "store"
    if store.exists():
        shutil.rmtree(store)
    report = DemoReport()
    started = time.perf_counter()
    for config, sequences in (("cubercnn", 3), ("efm", 2)):
        records = write_synthetic_store(store / config, config=config, sequences=sequences, seed=seed)
        shards = [record for per_sequence in records.values() for record in per_sequence]
        report.add(
            f"synth  {config:9s} {len(records)} sequences, {len(shards)} shards, "
            f"{sum(r.samples for r in shards)} samples, {sum(r.size for r in shards) / 1e6:.1f} MB"
        )
        read_started = time.perf_counter()
        categories: Counter[str] = Counter()
        samples = 0
        for record in shards:
            for sample in iter_shard(record.path):
                samples += 1
                categories.update(_objects_per_category(sample))
        elapsed = time.perf_counter() - read_started
        top = ", ".join(f"{name} {count}" for name, count in categories.most_common(6))
        report.add(
            f"read   {config:9s} {samples} samples at {samples / elapsed:.1f} samples/s; objects: {top}"
        )
    report.add(f"done in {time.perf_counter() - started:.1f} s; store in {store}")
    for line in report.lines:
        echo(line)
    return report
