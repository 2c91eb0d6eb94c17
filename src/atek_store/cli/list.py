"""``atek-store list``: what a URL JSON offers, per config or per sequence of one config."""

from __future__ import annotations

import argparse
from typing import Any

from atek_store.cli._errors import EXIT_OK
from atek_store.cli._table import render_table

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``list``."""
    parser = subparsers.add_parser(
        "list",
        help="list the configs (or one config's sequences) of a URL JSON",
        description="Per config: sequences, shards and total size. With --config: that config's sequences.",
        epilog="examples:\n  atek-store list AriaDigitalTwin_ATEK_download_urls.json\n"
        "  atek-store list AriaDigitalTwin_ATEK_download_urls.json --config efm",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("json", metavar="JSON", help="a *_ATEK_download_urls.json file")
    parser.add_argument("--config", default=None, help="list this config's sequences")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the listing."""
    from atek_store.download.report import format_bytes
    from atek_store.manifest import load_manifest

    # Nothing is fetched, so any URL scheme may be listed; unsafe names are still refused.
    manifest = load_manifest(args.json, allow_file_urls=True)
    if args.config is None:
        header = manifest.dataset_name or manifest.source
        print(f"{header}: {len(manifest.configs)} configs")
        rows = [
            (name, len(cfg.sequences), cfg.shard_count, format_bytes(cfg.total_bytes), f"{cfg.total_bytes:,}")
            for name, cfg in sorted(manifest.configs.items())
        ]
        print(render_table(("config", "sequences", "shards", "size", "bytes"), rows))
        return EXIT_OK
    config = manifest.config(args.config)
    seq_rows = [
        (name, len(seq.shards), format_bytes(seq.total_bytes), f"{seq.total_bytes:,}")
        for name, seq in sorted(config.sequences.items())
    ]
    print(
        f"config {config.name}: {len(config.sequences)} sequences, {config.shard_count} shards, "
        f"{format_bytes(config.total_bytes)}"
    )
    print(render_table(("sequence", "shards", "size", "bytes"), seq_rows))
    return EXIT_OK
