"""The end-to-end demo behind ``make demo``: host a local store and use it exactly as a user would.

1. write a synthetic store (cubercnn and efm configurations, several sequences);
2. publish it as a URL JSON with signed, expiring URLs, and serve it on loopback;
3. run the downloader as the seed document tells users to: local mode with a seed and a split,
   and streamable mode;
4. load the local shards with the PyTorch DataLoader, stream the streamable ones through a cache,
   feed the cubercnn shards through the CubeRCNN adaptor;
5. render one sample to a PNG, stop the server, print a summary.

The same commands, pointed at a real ``*_ATEK_download_urls.json``, are what users run against the
real store (see the README).
"""

from __future__ import annotations

import logging
import secrets
import shlex
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from atek_store.adaptors.cubercnn import create_atek_dataloader_as_cubercnn
from atek_store.categories import category_name
from atek_store.cli import main as cli_main
from atek_store.loading.api import create_native_atek_dataloader
from atek_store.shardlists import load_yaml_and_extract_tar_list
from atek_store.store import publish_store, start_store_server
from atek_store.synthetic import write_synthetic_store
from atek_store.viz.render import render_shard_sample

__all__ = ["DemoReport", "run_demo"]

_log = logging.getLogger(__name__)

DATASET = "AtekSynthetic"
_STORE = (("cubercnn", 4), ("efm", 2))  # configurations and their sequence counts


@dataclass
class DemoReport:
    """What the demo did and measured, line by line."""

    lines: list[str] = field(default_factory=list)
    echo: Callable[[str], None] = print

    def add(self, line: str) -> None:
        """Record one line of the summary and show it."""
        self.lines.append(line)
        self.echo(line)


def _run_cli(report: DemoReport, argv: list[str]) -> None:
    report.add(f"  $ atek-store {shlex.join(argv)}")
    code = cli_main(argv)
    if code != 0:
        raise RuntimeError(f"'atek-store {argv[0]}' exited with {code}")


def _timed_samples(batches: Iterable[Any]) -> tuple[list[Any], float]:
    started = time.perf_counter()
    items = list(batches)
    return items, time.perf_counter() - started


def _count_gt_objects(samples: list[dict[str, Any]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for sample in samples:
        for per_time in sample["gt_data"].get("efm_gt", {}).values():
            counts.update(per_time.get("camera-rgb", {}).get("category_names", []))
    return counts


def _top(counts: Counter[str], many: int = 6) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.most_common(many)) or "none"


def run_demo(workdir: str | Path, *, seed: int = 0, echo: Callable[[str], None] = print) -> DemoReport:
    """Run every step of the demo under ``workdir`` (cleared first); returns the summary."""
    workdir = Path(workdir)
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    report = DemoReport(echo=echo)
    started = time.perf_counter()
    root = workdir / "store"

    report.add("[1/6] synthetic store")
    for config, sequences in _STORE:
        records = write_synthetic_store(root / config, config=config, sequences=sequences, seed=seed)
        shards = [record for per_sequence in records.values() for record in per_sequence]
        report.add(
            f"  {config:9s} {len(records)} sequences, {len(shards)} shards, "
            f"{sum(r.samples for r in shards)} samples, {sum(r.size for r in shards) / 1e6:.1f} MB"
        )

    secret = secrets.token_hex(16)
    with start_store_server(root, secret=secret) as server:
        report.add(f"[2/6] publish and serve: {server.url} (signed URLs only, valid 30 days)")
        url_json = workdir / f"{DATASET}_ATEK_download_urls.json"
        published = publish_store(root, dataset_name=DATASET, out=url_json, base_url=server.url, sign=True,
                                  secret=secret)  # fmt: skip
        report.add(f"  {url_json.name}: {published.shards} shards, {published.total_bytes / 1e6:.1f} MB")

        report.add("[3/6] download, as the seed document tells users to")
        local = workdir / "downloaded_local_wds"
        _run_cli(report, ["download", "--config-name", "cubercnn", "--input-json-path", str(url_json),
                          "--output-folder-path", str(local / "cubercnn"), "--max-num-sequences", "3",
                          "--train-val-split-ratio", "0.67", "--random-seed", "42",
                          "--download-wds-to-local"])  # fmt: skip
        _run_cli(report, ["download", "--config-name", "efm", "--input-json-path", str(url_json),
                          "--output-folder-path", str(local / "efm"), "--download-wds-to-local"])  # fmt: skip
        streamable = workdir / "streamable_wds"
        _run_cli(report, ["download", "--config-name", "efm", "--input-json-path", str(url_json),
                          "--output-folder-path", str(streamable)])  # fmt: skip
        train = load_yaml_and_extract_tar_list(local / "cubercnn" / "local_train_tars.yaml")
        validation = load_yaml_and_extract_tar_list(local / "cubercnn" / "local_validation_tars.yaml")
        report.add(
            f"  cubercnn: train {sorted({Path(p).parent.name for p in train})} ({len(train)} shards), "
            f"validation {sorted({Path(p).parent.name for p in validation})} ({len(validation)} shards)"
        )

        report.add("[4/6] load into PyTorch")
        batches, elapsed = _timed_samples(
            create_native_atek_dataloader(train, batch_size=4, shuffle_flag=True, seed=seed, num_workers=2)
        )
        samples = sum(len(batch["__key__"]) for batch in batches)
        report.add(f"  native DataLoader, local train split: {samples} samples in {len(batches)} batches, "
                   f"{samples / elapsed:.0f} samples/s (2 workers)")  # fmt: skip
        efm_urls = load_yaml_and_extract_tar_list(streamable / "streamable_all_tars.yaml")
        cache = workdir / "stream_cache"
        for epoch in (1, 2):
            efm_samples, elapsed = _timed_samples(create_native_atek_dataloader(efm_urls, cache_dir=cache))
            where = "over HTTP into the cache" if epoch == 1 else "from the local cache"
            report.add(f"  streamed efm epoch {epoch}: {len(efm_samples)} samples, "
                       f"{len(efm_samples) / elapsed:.1f} samples/s {where}")  # fmt: skip
        report.add(f"  efm objects seen by camera-rgb: {_top(_count_gt_objects(efm_samples))}")
        cubercnn_batches, elapsed = _timed_samples(
            create_atek_dataloader_as_cubercnn(train + validation, batch_size=4)
        )
        converted = [item for batch in cubercnn_batches for item in batch]
        kept: Counter[str] = Counter(
            category_name(int(i))
            for item in converted
            if "instances" in item
            for i in item["instances"].gt_classes
        )
        report.add(f"  CubeRCNN adaptor: {len(converted)} samples, {len(converted) / elapsed:.0f} samples/s; "
                   f"objects kept by its filters: {_top(kept)}")  # fmt: skip

        report.add("[5/6] render one sample")
        picture = workdir / "sample.png"
        rendered = render_shard_sample(efm_urls[0], 0, picture)
        report.add(
            f"  {picture} ({rendered.image.width}x{rendered.image.height}, {rendered.boxes_3d} 3D boxes)"
        )
    report.add("[6/6] server stopped")
    report.add(f"demo finished in {time.perf_counter() - started:.1f} s; everything is under {workdir}")
    return report
