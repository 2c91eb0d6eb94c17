"""``atek-store preprocess-many``: every raw sequence of a folder, in parallel on Ray, resumable."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from atek_store import settings
from atek_store.cli._errors import EXIT_FAILED, EXIT_OK

if TYPE_CHECKING:
    from atek_store.preprocess import SequenceOutcome

__all__ = ["add_parser"]

_EXAMPLES = """\
examples:
  # all ADT sequences below ./adt_raw on this machine's CPUs, as a store under ./store
  atek-store preprocess-many --config AriaDigitalTwin_efm_config.yaml --raw-root ./adt_raw \\
      --output-root ./store --category-mapping adt_prototype_to_atek.csv

  # the same on a running Ray cluster (atek-store[preprocess] installed on its nodes)
  atek-store preprocess-many ... --ray-address ray://head-node:10001

Shards go to OUTPUT_ROOT/<atek_config_name>/<sequence>/shards-NNNN.tar, ready for
`atek-store publish OUTPUT_ROOT`. Re-running the command skips finished sequences (each gets a
completion marker after its last shard) and retries the rest. Every outcome is written to
OUTPUT_ROOT/preprocess_report_<config>.json.

exit status: 0 every sequence done, 1 some sequences failed, 2 bad usage, configuration or input
"""


def add_parser(subparsers: Any) -> None:
    """Register ``preprocess-many``."""
    parser = subparsers.add_parser(
        "preprocess-many",
        help="preprocess a folder of raw recordings in parallel (Ray), resumably",
        description="Preprocess every raw Aria recording below a folder into a store layout, in "
        "parallel on Ray, skipping sequences finished by an earlier run.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config", required=True, help="preprocessing YAML (e.g. AriaDigitalTwin_efm_config.yaml)"
    )
    parser.add_argument("--raw-root", required=True, help="folder with one raw recording folder per sequence")
    parser.add_argument(
        "--output-root", required=True, help="store root; shards go to <root>/<config>/<sequence>/"
    )
    parser.add_argument(
        "--category-mapping",
        default=None,
        help="CSV mapping raw names to ATEK categories (default: raw categories)",
    )
    parser.add_argument(
        "--sequence",
        action="append",
        dest="sequences",
        metavar="NAME",
        help="only this sequence (repeatable)",
    )
    parser.add_argument(
        "--ray-address", default=None, help="Ray cluster address (default: start a local Ray)"
    )
    parser.add_argument(
        "--num-cpus", type=int, default=None, help="CPUs for the local Ray instance (default: all)"
    )
    parser.add_argument(
        "--no-ray",
        action="store_true",
        help="run the sequences one after another in this process (debugging)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run every sequence, show one progress bar, print failures and the report's path."""
    from atek_store.preprocess import find_sequences, preprocess_many

    if args.num_cpus is not None and args.num_cpus < 1:
        print("atek-store: error: --num-cpus must be >= 1", file=sys.stderr)
        return 2
    bar: Any = None
    if not settings.progress_disabled():
        from tqdm import tqdm

        total = len(set(args.sequences)) if args.sequences else len(find_sequences(args.raw_root))
        bar = tqdm(total=total, unit="seq", desc="sequences", file=sys.stderr)

    def progress(outcome: SequenceOutcome, finished: int, total: int) -> None:
        if bar is not None:
            bar.update(1)
            if outcome.status == "failed":
                bar.write(f"failed: {outcome.sequence_name}: {outcome.error}")

    try:
        result = preprocess_many(
            args.config,
            args.raw_root,
            output_root=args.output_root,
            category_mapping=args.category_mapping,
            sequences=args.sequences,
            ray_address=args.ray_address,
            num_cpus=args.num_cpus,
            use_ray=not args.no_ray,
            progress=progress,
        )
    finally:
        if bar is not None:
            bar.close()
    print(
        f"{result.count('done')} done, {result.count('skipped')} already done, "
        f"{result.count('failed')} failed in {result.seconds:.1f} s; "
        f"shards in {result.output_folder}; report {result.report_path}"
    )
    for outcome in result.failed:
        print(f"  failed {outcome.sequence_name}: {outcome.error}", file=sys.stderr)
    return EXIT_FAILED if result.failed else EXIT_OK
