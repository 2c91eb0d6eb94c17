"""``atek-store inspect``: what a shard holds (samples, keys with dtype and shape, cameras, GT counts)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import TYPE_CHECKING, Any

from atek_store.cli._table import render_table

if TYPE_CHECKING:
    from atek_store.viz import SampleSummary, ShardSummary

__all__ = ["add_parser", "format_summary"]

_EXAMPLES = """examples:
  atek-store inspect data/seq131/shards-0000.tar
  atek-store inspect data/seq131/shards-0000.tar --sample 3
  atek-store inspect "https://example.org/store/seq131/shards-0000.tar?Expires=..." --json
"""


def add_parser(subparsers: Any) -> None:
    """Register ``inspect``."""
    parser = subparsers.add_parser(
        "inspect",
        help="summarise a shard or one of its samples (keys, dtypes, shapes, cameras, GT per category)",
        description="Read one shard (a local .tar or an http(s) URL, streamed) and print its samples, "
        "the keys of a sample with dtype and shape, its cameras and frames, and ground-truth object "
        "counts per category.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source", metavar="SHARD_OR_URL", help="a .tar shard or its http(s) URL")
    parser.add_argument(
        "--sample", type=int, default=None, metavar="N", help="describe sample N (0-based) only"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from atek_store.viz import summarize_shard

    summary = summarize_shard(args.source, sample=args.sample)
    if args.json:
        json.dump(_as_json(summary), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_summary(summary))
    return 0


def _as_json(summary: ShardSummary) -> dict[str, Any]:
    from atek_store.http import redact_url

    data = dataclasses.asdict(summary)
    data["source"] = redact_url(summary.source)
    data["objects_per_category"] = summary.objects_per_category()
    for sample, described in zip(data["samples"], summary.samples, strict=True):
        sample["url"] = redact_url(described.url)
        sample["objects_per_category"] = described.objects_per_category()
    return data


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    return ["  " + line for line in render_table(headers, rows).splitlines()]


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items()) or "none"


def _sample_details(sample: SampleSummary) -> list[str]:
    lines = [f"sample {sample.index}: {sample.key}   sequence {sample.sequence_name or '?'}", ""]
    rows = []
    for key in sample.keys:
        shape = f"[{', '.join(str(d) for d in key.shape)}]" if key.shape is not None else ""
        rows.append([key.key, key.dtype or key.kind, shape, key.note])
    lines += _table(["key", "dtype", "shape", "value"], rows) if rows else ["keys: none"]
    lines.append("")
    rows = []
    for camera in sample.cameras:
        times = camera.timestamps_ns
        span = (f"{times[0]} .. {times[-1]}" if len(times) > 1 else str(times[0])) if times else ""
        ids = ", ".join(str(i) for i in camera.frame_ids)
        rows.append(
            [
                camera.label,
                camera.model or "(rgb calibration)",
                f"{camera.frames} frame{'s' if camera.frames != 1 else ''}",
                f"{camera.width}x{camera.height}x{camera.channels}",
                span,
                ids,
            ]
        )
    lines += (
        _table(["camera", "model", "frames", "WxHxC", "capture time (ns)", "frame ids"], rows)
        if rows
        else ["cameras: none"]
    )
    lines += ["", "ground truth (objects per category)"]
    if not sample.ground_truth:
        lines.append("  none")
    for group in sample.ground_truth:
        at = f" @ {group.timestamp_ns}" if group.timestamp_ns else ""
        lines.append(
            f"  {group.group} {group.camera}{at}: {group.total} objects: {_counts(group.categories())}"
        )
    return lines


def format_summary(summary: ShardSummary) -> str:
    """The summary as text for a terminal."""
    from atek_store.http import redact_url

    lines = [f"shard {redact_url(summary.source)}"]
    if summary.selected is not None:
        lines += [""] + _sample_details(summary.samples[0])
        return "\n".join(lines) + "\n"
    count = len(summary.samples)
    sequences = summary.sequences()
    lines.append(
        f"{count} sample{'s' if count != 1 else ''}, sequence{'s' if len(sequences) != 1 else ''} "
        f"{', '.join(sequences) or '?'}"
    )
    if not summary.samples:
        return "\n".join(lines) + "\n"
    rows = []
    for sample in summary.samples:
        objects = sum(sample.objects_per_category().values())
        rows.append(
            [str(sample.index), sample.key, sample.sequence_name or "?", str(sample.frames), str(objects)]
        )
    lines += [""] + _table(["#", "key", "sequence", "frames", "objects"], rows)
    lines += [
        "",
        f"objects per category (distinct per sample, all samples): {_counts(summary.objects_per_category())}",
    ]
    lines += ["", "first sample in detail (--sample N for another):", ""] + _sample_details(
        summary.samples[0]
    )
    return "\n".join(lines) + "\n"
