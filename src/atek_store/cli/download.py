"""``atek-store download``: the original downloader's command, parallel, resumable and verified."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from atek_store import settings
from atek_store.cli._errors import EXIT_OK
from atek_store.errors import TransferError

if TYPE_CHECKING:
    from atek_store.download import DownloadPlan, DownloadReport

__all__ = ["add_parser", "add_selection_arguments", "render_plan"]

_EXAMPLES = """\
examples:
  # the seed document's command: 10 sequences, 80/20 split, downloaded and verified
  atek-store download --config-name efm --input-json-path AriaDigitalTwin_ATEK_download_urls.json \\
      --output-folder-path ./downloaded_local_wds --max-num-sequences 10 \\
      --train-val-split-ratio 0.8 --random-seed 42 --download-wds-to-local

  # what would that fetch? (prints the selection, split, shard count and bytes; writes nothing)
  atek-store download ... --download-wds-to-local --dry-run

  # only write streamable_{all,train,validation}_tars.yaml with the URLs
  atek-store download --config-name efm --input-json-path urls.json --output-folder-path ./streamable

A broken or killed run resumes where it stopped: run the same command again. When the signed
URLs expire (30 days; exit status 3), download a fresh JSON and run again with it: verified
shards are kept and only what is missing is fetched.

exit status: 0 every shard verified, 1 some shards failed, 2 bad usage or input, 3 URLs expired
"""


def add_selection_arguments(parser: argparse.ArgumentParser) -> None:
    """The original downloader's flags, with its defaults."""
    parser.add_argument(
        "--config-name", required=True, help="config to download: cubercnn, efm, ... (see `list`)"
    )
    parser.add_argument("--input-json-path", required=True, help="the *_ATEK_download_urls.json file")
    parser.add_argument(
        "--output-folder-path", required=True, help="where shards, YAML lists and the report go"
    )
    parser.add_argument(
        "--max-num-sequences",
        type=int,
        default=None,
        help="keep the first K sequences after the seeded shuffle (absent, 0 or negative: all)",
    )
    parser.add_argument(
        "--train-val-split-ratio",
        type=float,
        default=0.9,
        help="fraction of sequences for train (default 0.9)",
    )
    parser.add_argument(
        "--random-seed", type=int, default=42, help="seed of the sequence shuffle (default 42)"
    )
    parser.add_argument(
        "--download-wds-to-local",
        action="store_true",
        help="download the shards; without it only streamable_*_tars.yaml with URLs are written",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="fetch every shard again, even verified ones"
    )
    parser.add_argument(
        "--train-val-split-json-path",
        default=None,
        help='JSON {"train_sequences": [...], "val_sequences": [...]} that decides the split (not the ratio)',
    )
    parser.add_argument(
        "--stable-selection",
        action="store_true",
        help=(
            "rank sequences by sha256('<seed>:<name>') and keep the K lowest; a sequence goes to train "
            "when sha256('<seed>:split:<name>') as a fraction in [0, 1) is below the ratio. A subset and "
            "split stay the same when the store adds sequences (default: the original's shuffle rule)"
        ),
    )
    parser.add_argument(
        "--allow-file-urls", action="store_true", help="accept file:// URLs in the JSON (local stores)"
    )


def add_parser(subparsers: Any) -> None:
    """Register ``download``."""
    parser = subparsers.add_parser(
        "download",
        help="download a seeded train/validation subset of a store (or write streamable lists)",
        description="Select sequences from a URL JSON exactly as the original ATEK downloader does, then "
        "download their shards in parallel, resumably, each verified by size and sha1.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_selection_arguments(parser)
    parser.add_argument("--workers", type=int, default=8, help="parallel transfers (default 8)")
    parser.add_argument(
        "--retries", type=int, default=5, help="retries per shard without progress (default 5)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds to wait to connect or for the next bytes (default 30)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the selection, split, shard count and bytes; touch nothing",
    )
    parser.set_defaults(func=run)


def render_plan(plan: DownloadPlan) -> list[str]:
    """The dry run's printout."""
    from atek_store.download.report import format_bytes

    selection = plan.selection
    train_shards, val_shards = plan.shards_of(selection.train), plan.shards_of(selection.validation)
    lines = [
        f"config {plan.config.name} of {plan.manifest.source}: {len(selection.selected)} of "
        f"{len(plan.config.sequences)} sequences selected ({selection.rule} rule, seed {selection.seed}, "
        f"split by {selection.split_source})",
        f"train ({len(selection.train)}): {', '.join(selection.train) or '-'}",
        f"validation ({len(selection.validation)}): {', '.join(selection.validation) or '-'}",
        f"shards: {len(plan.shards)} ({len(train_shards)} train, {len(val_shards)} validation), "
        f"{format_bytes(plan.total_bytes)} ({plan.total_bytes:,} bytes)",
    ]
    if plan.local:
        needed = plan.bytes_still_needed()
        lines.append(f"still to fetch into {plan.output_folder}: {format_bytes(needed)} ({needed:,} bytes)")
    lines.append("dry run: nothing was written")
    return lines


def _print_summary(report: DownloadReport) -> None:
    for line in report.summary_lines():
        print(line)


def _inputs(args: argparse.Namespace) -> dict[str, Any]:
    """The arguments that plan_download and download_atek_wds_sequences share."""
    return {
        "config_name": args.config_name,
        "input_json_path": args.input_json_path,
        "output_folder_path": args.output_folder_path,
        "max_num_sequences": args.max_num_sequences,
        "train_val_split_ratio": args.train_val_split_ratio,
        "random_seed": args.random_seed,
        "download_wds_to_local": args.download_wds_to_local,
        "train_val_split_json_path": args.train_val_split_json_path,
        "stable_selection": args.stable_selection,
        "allow_file_urls": args.allow_file_urls,
    }


def run(args: argparse.Namespace) -> int:
    """Plan (dry run) or download, print the summary; errors map to exit codes."""
    if args.dry_run:
        from atek_store.download import plan_download

        print("\n".join(render_plan(plan_download(**_inputs(args)))))
        return EXIT_OK
    from atek_store.download import ConsoleProgress, DownloadReport, download_atek_wds_sequences

    progress = ConsoleProgress(bar=False if settings.progress_disabled() else None, stream=sys.stderr)
    try:
        report = download_atek_wds_sequences(
            **_inputs(args),
            overwrite=args.overwrite,
            workers=args.workers,
            retries=args.retries,
            timeout=args.timeout,
            progress=progress,
        )
    except TransferError as error:
        partial = getattr(error, "report", None)
        if isinstance(partial, DownloadReport):
            _print_summary(partial)
        raise
    _print_summary(report)
    return EXIT_OK
