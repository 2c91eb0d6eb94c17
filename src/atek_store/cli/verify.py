"""``atek-store verify``: re-hash a local store's shards and report the missing and corrupt ones."""

from __future__ import annotations

import argparse
from typing import Any

from atek_store.cli._errors import EXIT_FAILED, EXIT_OK

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``verify``."""
    parser = subparsers.add_parser(
        "verify",
        help="re-hash a downloaded store and report missing or corrupt shards",
        description="Re-hash every expected shard of FOLDER. Expectations come from --input-json-path when "
        "given, else from the download_report.json (or state records) the downloader left in FOLDER.",
        epilog="examples:\n  atek-store verify ./downloaded_local_wds\n"
        "  atek-store verify ./downloaded_local_wds --input-json-path ADT_ATEK_download_urls.json\n\n"
        "exit status: 0 every shard ok, 1 some missing or corrupt, 2 bad usage or input",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("folder", metavar="FOLDER", help="the --output-folder-path of a local download")
    parser.add_argument("--input-json-path", default=None, help="the URL JSON the shards came from")
    parser.add_argument("--config-name", default=None, help="config of the JSON (default: the report's)")
    parser.add_argument("--workers", type=int, default=4, help="files hashed in parallel (default 4)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Verify and print one line per problem."""
    from atek_store.download.verify import verify_local_store

    report = verify_local_store(
        args.folder, input_json_path=args.input_json_path, config_name=args.config_name, workers=args.workers
    )
    print("\n".join(report.summary_lines()))
    return EXIT_OK if report.ok else EXIT_FAILED
