"""The end-to-end demo behind ``make demo``: host a local store and use it exactly as a user would.

1. write a synthetic store (cubercnn and efm configurations, several sequences);
2. publish it as a URL JSON with signed, expiring URLs, and serve it on loopback;
3. run the downloader as the seed document tells users to: local mode with a seed and a split,
   and streamable mode;
4. load the local shards with the PyTorch DataLoader, stream the streamable ones through a cache,
   feed the cubercnn shards through the CubeRCNN adaptor;
5. render one sample to a PNG, stop the server, print a summary.

Every step calls the Python API; the equivalent ``atek-store`` command is shown beside each
download, since those, pointed at a real ``*_ATEK_download_urls.json``, are what users run against
the real store (see the README).

The work folder is the demo's own: it carries a marker file, a folder that is not empty and has no
marker is refused, and a re-run deletes only what the demo writes (``OUTPUTS``), never the rest.
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
from atek_store.atomic import atomic_write_text
from atek_store.categories import category_name
from atek_store.download import DownloadReport, download_atek_wds_sequences
from atek_store.errors import UsageError
from atek_store.loading.api import create_native_atek_dataloader
from atek_store.shardlists import load_yaml_and_extract_tar_list
from atek_store.store import publish_store, start_store_server
from atek_store.synthetic import write_synthetic_store
from atek_store.viz.render import render_shard_sample

__all__ = ["MARKER", "OUTPUTS", "DemoReport", "claim_workdir", "run_demo"]

_log = logging.getLogger(__name__)

DATASET = "AtekSynthetic"
_STORE = (("cubercnn", 4), ("efm", 2))  # configurations and their sequence counts

#: The file that marks a folder as the demo's work folder.
MARKER = ".atek-store-demo"
#: What the demo writes at the top of its folder; a re-run replaces these and touches nothing else.
OUTPUTS = (
    "store",
    f"{DATASET}_ATEK_download_urls.json",
    "downloaded_local_wds",
    "streamable_wds",
    "stream_cache",
    "sample.png",
)


@dataclass
class DemoReport:
    """What the demo did and measured, line by line."""

    lines: list[str] = field(default_factory=list)
    echo: Callable[[str], None] = print

    def add(self, line: str) -> None:
        """Record one line of the summary and show it."""
        self.lines.append(line)
        self.echo(line)


def claim_workdir(workdir: str | Path) -> Path:
    """Make ``workdir`` the demo's: a new or empty folder gets the marker; a marked one is cleared.

    Clearing removes only the demo's own ``OUTPUTS`` (a symlink among them is unlinked, never
    followed); whatever else is in the folder stays.

    Raises:
        UsageError: ``workdir`` is a file, or a folder that is not empty and lacks the marker;
            nothing was touched.
    """
    workdir = Path(workdir)
    if workdir.exists() and not workdir.is_dir():
        raise UsageError(f"--workdir {workdir} is a file, not a folder", flag="--workdir", path=str(workdir))
    marker = workdir / MARKER
    if workdir.is_dir() and not marker.is_file() and any(workdir.iterdir()):
        raise UsageError(
            f"--workdir {workdir} is not empty and was not made by the demo (it has no {MARKER} file); "
            "give a new or empty folder, which the demo then owns (an old demo folder without the marker: "
            "remove it yourself)",
            flag="--workdir",
            path=str(workdir),
        )
    workdir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(marker, "made by `atek-store demo`; a re-run replaces what the demo wrote here\n")
    for name in OUTPUTS:
        path = workdir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.is_symlink() or path.exists():
            path.unlink()
    return workdir


def _download(
    report: DemoReport,
    *,
    config_name: str,
    input_json_path: Path,
    output_folder_path: Path,
    download_wds_to_local: bool,
    max_num_sequences: int | None = None,
    train_val_split_ratio: float = 0.9,
    random_seed: int = 42,
) -> DownloadReport:
    """Run the downloader, showing the command a user would type for the same download."""
    argv = ["--config-name", config_name, "--input-json-path", str(input_json_path)]
    argv += ["--output-folder-path", str(output_folder_path)]
    if max_num_sequences is not None:
        argv += ["--max-num-sequences", str(max_num_sequences)]
    argv += ["--train-val-split-ratio", str(train_val_split_ratio), "--random-seed", str(random_seed)]
    if download_wds_to_local:
        argv.append("--download-wds-to-local")
    report.add(f"  $ atek-store download {shlex.join(argv)}")
    result = download_atek_wds_sequences(
        config_name=config_name,
        input_json_path=input_json_path,
        output_folder_path=output_folder_path,
        max_num_sequences=max_num_sequences,
        train_val_split_ratio=train_val_split_ratio,
        random_seed=random_seed,
        download_wds_to_local=download_wds_to_local,
    )
    for line in result.summary_lines():
        report.add(f"    {line}")
    return result


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
    """Run every step of the demo under ``workdir`` (see :func:`claim_workdir`); returns the summary."""
    workdir = claim_workdir(workdir)
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
        _download(report, config_name="cubercnn", input_json_path=url_json,
                  output_folder_path=local / "cubercnn", max_num_sequences=3, train_val_split_ratio=0.67,
                  random_seed=42, download_wds_to_local=True)  # fmt: skip
        _download(report, config_name="efm", input_json_path=url_json, output_folder_path=local / "efm",
                  download_wds_to_local=True)  # fmt: skip
        streamable = workdir / "streamable_wds"
        _download(report, config_name="efm", input_json_path=url_json, output_folder_path=streamable,
                  download_wds_to_local=False)  # fmt: skip
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
