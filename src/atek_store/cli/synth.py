"""``atek-store synth``: write a synthetic store of one configuration."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from atek_store.cli._choices import DeferredChoices
from atek_store.errors import UsageError

__all__ = ["add_parser"]

_EXAMPLES = """examples:
  atek-store synth --config cubercnn --sequences 3 --out store/cubercnn
  atek-store synth --config efm --sequences 2 --samples-per-sequence 8 --seed 7 --out store/efm
"""


def add_parser(subparsers: Any) -> None:
    """Register ``synth``."""
    parser = subparsers.add_parser(
        "synth",
        help="write synthetic Aria-like shards (cubercnn or efm style)",
        description="Generate geometrically consistent synthetic Aria data in the ATEK format: "
        "DIR/<sequence>/shards-NNNN.tar, ready to load, publish or serve.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # An explicit metavar keeps argparse from listing the choices (importing them) while the
    # parser is built; the help text names them when it is shown.
    parser.add_argument(
        "--config",
        choices=DeferredChoices(_synthetic_configs),
        required=True,
        metavar="CONFIG",
        help="sample layout: %(choices)s",
    )
    parser.add_argument("--sequences", type=int, default=3, help="number of sequences (default 3)")
    parser.add_argument("--samples-per-sequence", type=int, default=None, help="override the config's count")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", required=True, help="output folder (one configuration of a store)")
    parser.set_defaults(func=_run)


def _synthetic_configs() -> list[str]:
    from atek_store.synthetic import SYNTHETIC_CONFIGS

    return sorted(SYNTHETIC_CONFIGS)


def _run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(
            f"--out {out} exists and is not a folder; give a folder to write the store into", flag="--out"
        )
    from atek_store.synthetic import write_synthetic_store

    records = write_synthetic_store(
        args.out,
        config=args.config,
        sequences=args.sequences,
        seed=args.seed,
        samples_per_sequence=args.samples_per_sequence,
    )
    shards = sum(len(r) for r in records.values())
    samples = sum(rec.samples for r in records.values() for rec in r)
    size = sum(rec.size for r in records.values() for rec in r)
    print(
        f"wrote {len(records)} sequences, {shards} shards, {samples} samples, "
        f"{size / 1e6:.1f} MB to {args.out}",
        file=sys.stdout,
    )
    return 0
