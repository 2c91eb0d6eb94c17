"""``atek-store download``: the original downloader's command, parallel, resumable and verified."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atek_store import settings
from atek_store.cli._errors import EXIT_OK
from atek_store.errors import TransferError

if TYPE_CHECKING:
    from atek_store.download import DownloadPlan, DownloadReport, DownloadRequest

__all__ = ["add_parser", "add_selection_arguments", "build_request", "render_plan"]

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
        "--retries",
        type=int,
        default=5,
        help="retries per shard after failures without progress; waits double from 1 s, at most "
        "300 s in all (default 5)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds to wait to connect, for response headers or for the next bytes; a transfer "
        "slower than 1 KiB/s over this long fails its attempt (default 30)",
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
        remaining = plan.remaining()
        if remaining.nothing_to_do:
            lines.append(
                f"nothing to fetch: every selected shard in {plan.output_folder} is already verified"
            )
        else:
            lines.append(
                f"still to fetch into {plan.output_folder}: {remaining.to_fetch} shards, "
                f"{format_bytes(remaining.bytes)} ({remaining.bytes:,} bytes); {remaining.proven} already "
                f"verified, {remaining.to_check} on disk to re-check"
            )
    lines.append("dry run: nothing was written")
    return lines


def _print_summary(report: DownloadReport) -> None:
    for line in report.summary_lines():
        print(line)


def build_request(args: argparse.Namespace) -> DownloadRequest:
    """The download request the parsed flags describe (validated by the record itself)."""
    from atek_store.download import DownloadRequest

    split_json = args.train_val_split_json_path
    return DownloadRequest(
        config_name=args.config_name,
        input_json_path=Path(args.input_json_path),
        output_folder_path=Path(args.output_folder_path),
        train_val_split_ratio=args.train_val_split_ratio,
        random_seed=args.random_seed,
        max_num_sequences=args.max_num_sequences,
        download_wds_to_local=args.download_wds_to_local,
        train_val_split_json_path=Path(split_json) if split_json is not None else None,
        overwrite=args.overwrite,
        stable_selection=args.stable_selection,
        allow_file_urls=args.allow_file_urls,
        workers=args.workers,
        retries=args.retries,
        timeout=args.timeout,
    )


def run(args: argparse.Namespace) -> int:
    """Plan (dry run) or download, print the summary; errors map to exit codes."""
    request = build_request(args)
    if args.dry_run:
        from atek_store.download import plan_download

        print("\n".join(render_plan(plan_download(request))))
        return EXIT_OK
    from atek_store.download import ConsoleProgress, run_download

    progress = ConsoleProgress(bar=False if settings.progress_disabled() else None, stream=sys.stderr)
    try:
        report = run_download(request, progress=progress)
    except TransferError as error:
        if error.report is not None:
            _print_summary(error.report)
        raise
    _print_summary(report)
    return EXIT_OK
