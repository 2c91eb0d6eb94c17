"""``atek-store publish``: check a folder of shards and write its URL JSON (plain, signed or S3)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from atek_store import settings
from atek_store.store.shardcheck import CHECKS

__all__ = ["add_parser"]

_EXAMPLES = """\
examples:
  # serve it yourself with signed URLs valid for 30 days (then: atek-store serve my_store --secret ...)
  atek-store publish my_store --dataset-name MyDataset --base-url http://127.0.0.1:8080 \\
      --out MyDataset_ATEK_download_urls.json --sign --secret "$SECRET" --ttl-days 30

  # upload to an S3-compatible object store and publish presigned URLs (7 days at most)
  atek-store publish my_store --dataset-name MyDataset --s3-url s3://my-bucket/atek \\
      --endpoint-url http://127.0.0.1:9000 --ttl-days 7

the layout read is ROOT/<config>/<sequence>/shards-NNNN.tar; the secret may also come from
the ATEK_STORE_SECRET environment variable (keeps it out of the process list).
"""


def add_parser(subparsers: Any) -> None:
    """Register the ``publish`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "publish",
        help="check a folder of shards and write its URL JSON",
        description="Check every shard under ROOT (complete, readable tar), compute sha1 and size in "
        "parallel, and write the dataset's URL JSON in the ATEK Data Store format.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "root", type=Path, metavar="ROOT", help="store folder: ROOT/<config>/<sequence>/shards-*.tar"
    )
    parser.add_argument("--dataset-name", required=True, help="dataset name, e.g. AriaDigitalTwin")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="URL JSON to write (default: <dataset>_ATEK_download_urls.json)",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--base-url", help="URL at which ROOT is served, e.g. http://127.0.0.1:8080")
    where.add_argument("--s3-url", help="upload the shards to s3://bucket/prefix and publish presigned URLs")
    parser.add_argument("--endpoint-url", help="S3-compatible endpoint (MinIO, Ceph, R2, ...) instead of AWS")
    parser.add_argument("--sign", action="store_true", help="sign the URLs (HMAC) so that they expire")
    parser.add_argument(
        "--secret", help="signing secret shared with `atek-store serve` (or ATEK_STORE_SECRET)"
    )
    parser.add_argument(
        "--ttl-days", type=float, default=None, help="validity of signed URLs (default 30; S3: 7, at most 7)"
    )
    parser.add_argument("--release-version", default="", help="value of raw_dataset_release_version")
    parser.add_argument("--workers", type=int, default=None, help="threads for hashing and uploading")
    parser.add_argument(
        "--check",
        choices=CHECKS,
        default="full",
        help="full: decode every sample of every shard (default); tar: check the tar structure and "
        "sample grouping only, much faster for very large stores",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Publish and print a one-line summary."""
    from tqdm import tqdm

    from atek_store.store.publish import publish_store

    secret = args.secret if args.secret is not None else (settings.store_secret() if args.sign else None)
    bars: dict[str, tqdm[Any]] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            label = {"check": "checking shards", "upload": "uploading shards"}.get(stage, stage)
            bars[stage] = tqdm(total=total, desc=label, unit="shard", disable=settings.progress_disabled())
        bars[stage].update(done - bars[stage].n)

    try:
        report = publish_store(
            args.root,
            dataset_name=args.dataset_name,
            out=args.out,
            base_url=args.base_url,
            sign=args.sign,
            secret=secret,
            ttl_days=args.ttl_days,
            s3_url=args.s3_url,
            endpoint_url=args.endpoint_url,
            release_version=args.release_version,
            workers=args.workers,
            check=args.check,
            progress=progress,
        )
    finally:
        for bar in bars.values():
            bar.close()
    expiry = ""
    if report.expires_at is not None:
        when = dt.datetime.fromtimestamp(report.expires_at, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        expiry = f"; URLs expire {when}"
    uploaded = f"; {report.uploaded} uploaded" if args.s3_url else ""
    print(
        f"wrote {report.out}: {report.shards} shards, {report.sequences} sequences, configs "
        f"{', '.join(report.configs)}, {report.total_bytes / 1e6:.1f} MB{uploaded}{expiry}"
    )
    return 0
