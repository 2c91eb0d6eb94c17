"""``atek-store configs``: the data store's six dataset x configuration entries and their content."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from atek_store.catalog import CATALOG, CatalogEntry
from atek_store.cli._errors import EXIT_OK
from atek_store.cli._table import render_table

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``configs``."""
    parser = subparsers.add_parser(
        "configs",
        help="the store's datasets x preprocessing configurations and what each holds",
        description="The ATEK Data Store's six dataset x config entries: cameras, image sizes, rotation, "
        "undistortion, frames per sample, stride, rate, samples per shard, ground truth.",
    )
    parser.add_argument("--json", action="store_true", help="print the entries as JSON")
    parser.set_defaults(func=run)


def _cameras(entry: CatalogEntry) -> str:
    return ", ".join(camera.removeprefix("camera-") for camera in entry.cameras)


def run(args: argparse.Namespace) -> int:
    """Print the catalog."""
    if args.json:
        print(json.dumps([asdict(entry) for entry in CATALOG], indent=2))
        return EXIT_OK
    rows = [
        (
            entry.dataset,
            entry.config,
            _cameras(entry),
            entry.rgb_resolution,
            entry.slam_resolution or "-",
            "yes" if entry.rotate_cw90 else "no",
            "yes" if entry.undistort_to_linear else "no",
            entry.frames_per_sample,
            entry.stride_frames,
            f"{entry.rate_hz:g} Hz",
            entry.samples_per_shard,
        )
        for entry in CATALOG
    ]
    headers = (
        "dataset",
        "config",
        "cameras",
        "rgb image",
        "slam image",
        "rot cw90",
        "undistort",
        "frames/sample",
        "stride",
        "rate",
        "samples/shard",
    )
    print(render_table(headers, rows))
    print()
    for entry in CATALOG:
        depth = f"; depth: {entry.depth}" if entry.depth else ""
        last = "last partial shard dropped" if entry.drop_last_partial_shard else "last shard may be partial"
        print(
            f"{entry.dataset}/{entry.config}: {', '.join(entry.modalities)}; "
            f"ground truth {entry.ground_truth}, categories by {entry.category_mapping}{depth}; "
            f"key prefix {entry.key_prefix or '(empty)'}; {last}; {entry.access_link}"
        )
    return EXIT_OK
