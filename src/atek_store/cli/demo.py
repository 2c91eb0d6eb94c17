"""``atek-store demo``: the README's first command."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Register ``demo``."""
    parser = subparsers.add_parser(
        "demo",
        help="run the end-to-end demo on a local synthetic store",
        description="Generate a synthetic store, then use it the way a user of the ATEK Data Store would.",
    )
    parser.add_argument(
        "--workdir",
        default="demo_output",
        help="folder the demo owns: new, empty, or made by an earlier demo run (default demo_output)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic store (default 0)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from atek_store.demo import run_demo

    run_demo(args.workdir, seed=args.seed)
    return 0
