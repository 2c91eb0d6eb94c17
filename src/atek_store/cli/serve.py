"""``atek-store serve``: serve a store folder over HTTP until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atek_store import settings
from atek_store.cli._choices import DeferredChoices
from atek_store.errors import StoreLayoutError

if TYPE_CHECKING:
    from atek_store.store.front.policy import FrontConfig

__all__ = ["add_parser"]

_EXAMPLES = """\
examples:
  atek-store serve my_store --state my_state                  # the store front: pages, access requests
  atek-store serve my_store --port 8080                       # files only, anyone may fetch
  ATEK_STORE_SECRET=... atek-store serve my_store --port 8080  # files only, signed URLs only

With --state, the server also serves the store front: / lists the datasets and configurations,
each dataset page takes access requests (email + licence acceptance) and hands the requester a
<Dataset>_ATEK_download_urls.json signed for their grant. Grants and the audit log are in the
state folder (SQLite); manage them with `atek-store access list|approve|revoke|summary`. The
signing secret is --secret / ATEK_STORE_SECRET, else one kept in the state folder. On the
internet, put TLS in front (a reverse proxy) and give --public-url https://....

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
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=15.0,
        metavar="S",
        help="close a connection that sends no complete request, or takes no data, for S seconds (15)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=None,
        metavar="N",
        help="connections held at once (default: what the descriptor limit allows, at most 1024)",
    )
    parser.add_argument("--no-access-log", action="store_true", help="do not log each request")
    front = parser.add_argument_group("store front (with --state)")
    front.add_argument(
        "--state", type=Path, metavar="DIR", help="serve the store front; grants and audit in DIR"
    )
    front.add_argument(
        "--public-url",
        metavar="URL",
        help="the URL users reach this server at (default: the listening address)",
    )
    front.add_argument(
        "--ttl-days", type=float, default=30.0, metavar="DAYS", help="validity of issued URLs (default 30)"
    )
    front.add_argument(
        "--approval",
        choices=DeferredChoices(_approvals),
        default="auto",
        metavar="MODE",  # keeps argparse from listing (importing) the choices while the parser is built
        help="auto: grant at once; manual: wait for `atek-store access approve` (default auto)",
    )
    front.add_argument(
        "--allow-domain",
        action="append",
        default=[],
        metavar="DOMAIN",
        help="accept only emails of this domain or its subdomains (repeatable)",
    )
    front.add_argument(
        "--access-rate",
        type=float,
        default=10.0,
        metavar="N",
        help="access requests accepted per client address and minute (default 10)",
    )
    front.add_argument(
        "--downloads-per-grant",
        type=int,
        default=16,
        metavar="N",
        help="file requests one grant may have in flight; more get 429 and are retried (default 16)",
    )
    front.add_argument(
        "--no-previews",
        dest="previews",
        action="store_false",
        help="do not render the configuration pages' sample and thumbnails (needs torch)",
    )
    front.add_argument(
        "--trust-forwarded",
        action="store_true",
        help="take the client address from X-Forwarded-For (only behind a proxy that sets it)",
    )
    parser.set_defaults(func=run)


def _approvals() -> list[str]:
    from atek_store.store.front.policy import Approval

    return [approval.value for approval in Approval]


def _front(args: argparse.Namespace) -> FrontConfig | None:
    if args.state is None:
        return None
    from atek_store.store.front.policy import Approval, FrontConfig

    return FrontConfig(
        state_dir=args.state,
        public_url=args.public_url,
        ttl_days=args.ttl_days,
        approval=Approval(args.approval),
        allowed_domains=tuple(args.allow_domain),
        requests_per_minute=args.access_rate,
        trust_forwarded=args.trust_forwarded,
        previews=args.previews,
        requests_per_grant=args.downloads_per_grant,
    )


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; print the URL once listening."""
    if not args.root.is_dir():
        # Bad input (exit 2), checked before anything starts.
        raise StoreLayoutError(f"store root {args.root} is not a folder", path=str(args.root))
    from atek_store.store.server import ServerConfig, serve_store

    front = _front(args)
    config = ServerConfig(
        root=args.root,
        host=args.host,
        port=args.port,
        secret=args.secret if args.secret is not None else settings.store_secret(),
        shutdown_timeout=args.shutdown_timeout,
        access_log=not args.no_access_log,
        idle_timeout=args.idle_timeout,
        max_connections=args.max_connections,
        front=front,
    )
    mode = "signed URLs only" if config.secret or front else "no signature required"

    def ready(url: str) -> None:
        print(f"serving {args.root} at {url} ({mode})", flush=True)
        if front is not None:
            print(f"store front at {front.public_url or url}/ (state in {front.state_dir})", flush=True)

    serve_store(config, on_ready=ready)
    print("stopped", flush=True)
    return 0
