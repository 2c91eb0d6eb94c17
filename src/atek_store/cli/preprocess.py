"""``atek-store preprocess``: one raw Aria recording into shards under a store configuration."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from atek_store import settings
from atek_store.cli._errors import EXIT_OK

__all__ = ["add_parser"]

_EXAMPLES = """\
examples:
  # the store's ADT cubercnn shards for one ADT sequence
  atek-store preprocess --config AriaDigitalTwin_cubercnn_config.yaml \\
      --raw-folder ./raw/Apartment_release_clean_seq131_M1292 \\
      --sequence-name Apartment_release_clean_seq131_M1292 \\
      --output-folder ./store/cubercnn/Apartment_release_clean_seq131_M1292 \\
      --category-mapping adt_prototype_to_atek.csv

The raw folder has the ADT/ASE layout (video.vrs or main.vrs, aria_trajectory.csv, mps/slam/...,
depth_images.vrs, 3d_bounding_box.csv, scene_objects.csv, 2d_bounding_box.csv, instances.json);
a configuration only needs the files of the stages it selects.

exit status: 0 done, 1 preprocessing failed, 2 bad usage, configuration or input files
"""


def add_parser(subparsers: Any) -> None:
    """Register ``preprocess``."""
    parser = subparsers.add_parser(
        "preprocess",
        help="preprocess one raw Aria recording into ATEK shards",
        description="Turn one raw Aria recording into ATEK WebDataset shards, as the data store's "
        "preprocessor does, under one of its configurations (or your own).",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config", required=True, help="preprocessing YAML (e.g. AriaDigitalTwin_efm_config.yaml)"
    )
    parser.add_argument("--raw-folder", required=True, help="the raw recording's folder (ADT/ASE layout)")
    parser.add_argument("--sequence-name", required=True, help="stored in every sample's sequence_name")
    parser.add_argument("--output-folder", required=True, help="where shards-NNNN.tar are written")
    parser.add_argument(
        "--category-mapping",
        default=None,
        help="CSV mapping raw names to ATEK categories (default: raw categories)",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace shards already in the output folder"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Preprocess one sequence and print what was written."""
    from atek_store.preprocess import preprocess_sequence

    bar: Any = None
    if not settings.progress_disabled():
        from tqdm import tqdm

        bar = tqdm(total=0, unit="sample", desc=args.sequence_name, file=sys.stderr, leave=False)

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.n = done
            bar.refresh()

    try:
        result = preprocess_sequence(
            args.config,
            args.raw_folder,
            sequence_name=args.sequence_name,
            output_folder=args.output_folder,
            category_mapping=args.category_mapping,
            overwrite=args.overwrite,
            progress=progress,
        )
    finally:
        if bar is not None:
            bar.close()
    dropped = sum(result.dropped.values())
    removed = result.samples_written - result.samples_in_shards
    removed_text = f", {removed} in a removed partial last shard" if removed else ""
    print(
        f"{result.sequence_name}: {result.samples_in_shards} samples in {len(result.shards)} shards "
        f"in {result.output_folder} ({result.samples_planned} planned, {dropped} dropped{removed_text}; "
        f"{result.seconds:.1f} s)"
    )
    for reason, count in sorted(result.dropped.items()):
        print(f"  dropped {count}: {reason}")
    return EXIT_OK
