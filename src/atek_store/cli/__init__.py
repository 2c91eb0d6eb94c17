"""The ``atek-store`` command line: a thin layer over the Python API.

Each subcommand lives in its own module of this package, which exposes ``add_parser(subparsers)``
and binds ``func(args) -> int`` on its parser. Errors become one actionable line and an exit code
in :mod:`atek_store.cli._errors`.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from atek_store import settings
from atek_store._version import __version__
from atek_store.cli._errors import run_guarded

__all__ = ["build_parser", "main"]

# Subcommand modules, in the order ``--help`` lists them.
_COMMANDS: tuple[str, ...] = (
    "demo",
    "download",
    "list",
    "configs",
    "verify",
    "inspect",
    "render",
    "synth",
    "preprocess",
    "preprocess_many",
    "publish",
    "serve",
    "access",
)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="atek-store",
        description="Download, load, inspect, preprocess and host ATEK Data Store shards.",
    )
    parser.add_argument("--version", action="version", version=f"atek-store {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        module = importlib.import_module(f"atek_store.cli.{name}")
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else settings.log_level(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    return run_guarded(args.func, args)
