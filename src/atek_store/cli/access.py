"""``atek-store access``: list, approve, revoke and deny grants; summarise the audit log.

Works on the state folder of ``atek-store serve --state DIR``, while the server runs: changes take
effect on the next request (a revoked grant's URLs answer 403 at once).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atek_store.cli._choices import DeferredChoices
from atek_store.cli._table import render_table
from atek_store.errors import UsageError

if TYPE_CHECKING:
    from atek_store.store.front.state import AccessState, GrantUsage

__all__ = ["add_parser"]

_EXAMPLES = """\
examples:
  atek-store access list --state my_state                      # every grant
  atek-store access list --state my_state --status pending     # requests waiting for approval
  atek-store access approve --state my_state GRANT_ID
  atek-store access revoke --state my_state GRANT_ID           # its URLs answer 403 from now on
  atek-store access revoke --state my_state --email a@uni.edu  # every grant of that address
  atek-store access summary --state my_state                   # who downloaded what, totals
"""


def add_parser(subparsers: Any) -> None:
    """Register ``access`` and its actions."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "access",
        help="manage the store front's access grants and read its audit log",
        description="List, approve, revoke or deny the access grants of a store front, and summarise "
        "who downloaded what.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list grants")
    # An explicit metavar keeps argparse from listing (importing) the choices while the parser is built.
    listing.add_argument(
        "--status",
        choices=DeferredChoices(_grant_statuses),
        metavar="STATUS",
        help="only grants in this state: %(choices)s",
    )
    listing.add_argument("--dataset", help="only grants of this dataset")
    listing.add_argument("--email", help="only grants of this address")
    listing.set_defaults(func=_list)
    for name, status, text in (
        ("approve", "active", "approve pending requests"),
        ("revoke", "revoked", "revoke grants: their URLs answer 403 from now on"),
        ("deny", "denied", "decline pending requests"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("grants", nargs="*", metavar="GRANT_ID", help="grant ids (see `access list`)")
        action.add_argument("--email", help="every grant of this address (with --dataset: of that dataset)")
        action.add_argument("--dataset", help="with --email: only grants of this dataset")
        action.set_defaults(func=_decide, status=status)
    summary = actions.add_parser("summary", help="who downloaded what: per grant and in total")
    summary.add_argument("--dataset", help="only grants of this dataset")
    summary.set_defaults(func=_summary)
    for action in actions.choices.values():
        action.add_argument(
            "--state", type=Path, required=True, metavar="DIR", help="the state folder of `serve --state`"
        )


def _grant_statuses() -> list[str]:
    # The state module (sqlite3 and the front) loads only when `access` runs or shows its help.
    from atek_store.store.front.state import GrantStatus

    return [status.value for status in GrantStatus]


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).strftime("%Y-%m-%d %H:%M")


def _state(args: argparse.Namespace) -> AccessState:
    from atek_store.store.front.state import open_state

    return open_state(args.state, create=False)


def _email(value: str | None) -> str | None:
    """``--email`` as the front stored it (its domain lower-cased), so any spelling finds it."""
    if value is None:
        return None
    from atek_store.store.front.policy import normalise_email

    email = normalise_email(value)
    if email is None:
        raise UsageError(f"--email {value!r} is not an email address", flag="--email")
    return email


def _list(args: argparse.Namespace) -> int:
    from atek_store.store.front.state import GrantStatus

    status = GrantStatus(args.status) if args.status else None
    grants = _state(args).grants(dataset=args.dataset, status=status, email=_email(args.email))
    print(
        render_table(
            ["GRANT", "DATASET", "STATUS", "EMAIL", "REQUESTED", "DECIDED"],
            [
                [g.id, g.dataset, g.status.value, g.email, _when(g.created_at), _when(g.decided_at)]
                for g in grants
            ],
        )
    )
    print(f"{len(grants)} grant(s)")
    return 0


def _decide(args: argparse.Namespace) -> int:
    state = _state(args)
    ids = list(args.grants)
    if args.email:
        ids += [grant.id for grant in state.grants(email=_email(args.email), dataset=args.dataset)]
    if not ids:
        raise UsageError("name the grants: GRANT_ID ... or --email ADDRESS (see `atek-store access list`)")
    from atek_store.store.front.state import GrantStatus

    for grant in state.decide(ids, GrantStatus(args.status)):
        print(f"{grant.id}  {grant.dataset}  {grant.status.value}")
    return 0


def _size(value: int) -> str:
    return f"{value / 1e6:.1f} MB"


def _summary(args: argparse.Namespace) -> int:
    usage: list[GrantUsage] = _state(args).usage(dataset=args.dataset)
    headers = [
        "GRANT",
        "DATASET",
        "STATUS",
        "EMAIL",
        "JSONS",
        "FILES",
        "WHOLE",
        "SENT",
        "REFUSED",
        "LAST SEEN",
    ]
    rows = [
        [
            u.grant.id,
            u.grant.dataset,
            u.grant.status.value,
            u.grant.email,
            str(u.jsons),
            str(u.files),
            str(u.complete),
            _size(u.bytes_sent),
            str(u.refused),
            _when(u.last_seen),
        ]
        for u in usage
    ]
    print(render_table(headers, rows))
    requesters = len({u.grant.email for u in usage})
    jsons, files = sum(u.jsons for u in usage), sum(u.files for u in usage)
    sent, refused = _size(sum(u.bytes_sent for u in usage)), sum(u.refused for u in usage)
    print(
        f"total: {len(usage)} grant(s) of {requesters} requester(s), {jsons} JSON(s) issued, "
        f"{files} file(s) served, {sent} sent, {refused} request(s) refused"
    )
    return 0
