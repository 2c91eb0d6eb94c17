"""``atek-store render``: draw one sample's frames with its 2D and 3D boxes into an image file."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_parser"]

_EXAMPLES = """examples:
  atek-store render data/seq131/shards-0000.tar --sample 0 --out sample.png
  atek-store render data/efm/82832/shards-0004.tar --sample 2 --out efm.png --no-labels
  atek-store render "https://example.org/store/seq131/shards-0000.tar?Expires=..." --sample 5 --out s.png
"""


def add_parser(subparsers: Any) -> None:
    """Register ``render``."""
    parser = subparsers.add_parser(
        "render",
        help="draw a sample's frames with obb2 boxes and projected obb3 wireframes",
        description="Draw sample N of a shard (a local .tar or an http(s) URL, streamed): its camera "
        "frames side by side (one row per frame), 2D boxes, 3D boxes projected through each camera's "
        "LINEAR or FISHEYE624 model, and category labels.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source", metavar="SHARD_OR_URL", help="a .tar shard or its http(s) URL")
    parser.add_argument(
        "--sample", type=int, default=0, metavar="N", help="which sample (0-based, default 0)"
    )
    parser.add_argument("--out", required=True, metavar="FILE", help="image to write, e.g. sample.png")
    parser.add_argument(
        "--panel-height", type=int, default=None, metavar="PX", help="height of each frame's panel"
    )
    parser.add_argument("--no-2d", dest="boxes_2d", action="store_false", help="leave out the 2D boxes")
    parser.add_argument("--no-3d", dest="boxes_3d", action="store_false", help="leave out the 3D wireframes")
    parser.add_argument("--no-labels", dest="labels", action="store_false", help="leave out category labels")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from atek_store.viz import RenderOptions, render_shard_sample

    options = RenderOptions(
        panel_height=args.panel_height, boxes_2d=args.boxes_2d, boxes_3d=args.boxes_3d, labels=args.labels
    )
    rendered = render_shard_sample(args.source, args.sample, args.out, options=options)
    width, height = rendered.image.size
    print(
        f"wrote {args.out} ({width}x{height}): {len(rendered.panels)} frame panels, "
        f"{rendered.boxes_2d} 2D boxes, {rendered.boxes_3d} 3D boxes",
        file=sys.stdout,
    )
    return 0
