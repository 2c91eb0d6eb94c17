"""``atek-store serve``: serve a store folder over HTTP until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from atek_store import settings
from atek_store.errors import StoreLayoutError

__all__ = ["add_parser"]

_EXAMPLES = """\
examples:
  atek-store serve my_store --port 8080                       # anyone may fetch
  ATEK_STORE_SECRET=... atek-store serve my_store --port 8080  # signed URLs only

Serves GET and HEAD with Range (206/416), ETag and Content-Length. With a secret (--secret or
ATEK_STORE_SECRET), only URLs signed by `atek-store publish --sign` with the same secret are
served, until they expire; others get 403 with the reason. SIGINT or SIGTERM stops the server
after the downloads in flight finish (at most --shutdown-timeout seconds).
"""


def add_parser(subparsers: Any) -> None:
    """Register the ``serve`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help="serve a store folder over HTTP (signed, expiring URLs with --secret)",
        description="Serve the shards under ROOT over HTTP for `atek-store download` and any HTTP client.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "root", type=Path, metavar="ROOT", help="store folder: ROOT/<config>/<sequence>/shards-*.tar"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="TCP port (default 8080; 0 picks a free one)")
    parser.add_argument("--secret", help="accept only URLs signed with this secret (or ATEK_STORE_SECRET)")
    parser.add_argument(
        "--shutdown-timeout", type=float, default=10.0, help="seconds to let downloads finish on shutdown"
    )
    parser.add_argument("--no-access-log", action="store_true", help="do not log each request")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; print the URL once listening."""
    if not args.root.is_dir():
        # Bad input (exit 2), checked before anything starts.
        raise StoreLayoutError(f"store root {args.root} is not a folder", path=str(args.root))
    from atek_store.store.server import ServerConfig, serve_store

    config = ServerConfig(
        root=args.root,
        host=args.host,
        port=args.port,
        secret=args.secret if args.secret is not None else settings.store_secret(),
        shutdown_timeout=args.shutdown_timeout,
        access_log=not args.no_access_log,
    )
    mode = "signed URLs only" if config.secret else "no signature required"
    serve_store(config, on_ready=lambda url: print(f"serving {args.root} at {url} ({mode})", flush=True))
    print("stopped", flush=True)
    return 0
