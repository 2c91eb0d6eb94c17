"""The server's access log, with the credentials in URLs left out.

A signed URL's query (``Signature``) and a grant page's path (``/access/<token>``) are bearer
secrets: whoever reads them can download. The access log therefore shows the path without its
query, the token replaced by ``<token>``, and the grant id when the URL names one, so an operator
can still tell who fetched what without the log becoming a key ring.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from atek_store.store.signing import GRANT_ID, GRANT_PARAM

__all__ = ["RedactingAccessLogger", "redact_path"]

_TOKEN_PREFIX = "/access/"  # noqa: S105 - a URL prefix, not a secret


def redact_path(path: str) -> str:
    """``path`` with an access token replaced by ``<token>`` (the query is never included)."""
    if path.startswith(_TOKEN_PREFIX):
        _, _, rest = path[len(_TOKEN_PREFIX) :].partition("/")
        return _TOKEN_PREFIX + "<token>" + (f"/{rest}" if rest else "")
    return path[:300]


class RedactingAccessLogger(AbstractAccessLogger):
    """One line per answered request: client, method, redacted path, grant, status, size, time."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        """Write the line (at INFO)."""
        grant = request.query.get(GRANT_PARAM, "")
        shown = f" grant={grant}" if GRANT_ID.fullmatch(grant) else ""
        self.logger.info(
            '%s "%s %s"%s %d %d %.3fs',
            request.remote,
            request.method,
            redact_path(request.path),
            shown,
            response.status,
            response.body_length,
            time,
        )
