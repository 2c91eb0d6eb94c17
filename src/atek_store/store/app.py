"""The store's HTTP application (aiohttp): the files below the root, and the store front.

Routes: the store front's pages and access flow when a front is configured (see
:mod:`atek_store.store.front`), then every other GET/HEAD is a file of the store
(:mod:`atek_store.store.files`). Two middlewares wrap every request: one tells the connection
pool that a connection is busy (so it is never closed as idle while it answers), and one turns a
client that went away mid-answer into a quiet debug line instead of an error traceback (a real
failure of ours is still logged with its traceback, as a 500). Requests that aiohttp itself
refuses (malformed, oversized headers, not HTTP at all) are logged by :class:`ProtocolLog` as
one debug line: scanners on the internet send them all day, and the access log has them anyway.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

from aiohttp import web

from atek_store.store.accesslog import redact_path
from atek_store.store.connections import ConnectionPool
from atek_store.store.files import FileHandler, ShardAccess
from atek_store.store.signing import UrlSigner

__all__ = ["Front", "ProtocolLog", "make_store_app"]

_log = logging.getLogger(__name__)

# 499: the client closed the connection before the answer was complete (as nginx logs it).
_CLIENT_GONE = 499
# Request bodies are small form posts at most; anything larger is refused with 413.
_MAX_BODY = 64 * 1024

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Front(Protocol):
    """A store front: pages and an access flow, and the grant checks of file requests."""

    @property
    def access(self) -> ShardAccess:
        """Checks and audits the file requests signed for a grant."""
        ...

    def add_routes(self, app: web.Application) -> None:
        """Add the front's routes (before the catch-all file route)."""
        ...


class ProtocolLog:
    """The logger aiohttp's protocol uses: its refusals of malformed requests become debug lines."""

    def __init__(self) -> None:
        self._log = logging.getLogger("atek_store.store.protocol")

    def debug(self, message: str, *args: object, **kwargs: object) -> None:
        """Aiohttp's own debug messages."""
        self._log.debug(message, *args)

    def exception(self, message: str, *args: object, exc_info: object = None, **kwargs: object) -> None:
        """A request aiohttp could not parse: one line, the traceback only at debug level."""
        self._log.debug("%s: %s", message % args if args else message, exc_info)


def _middlewares(pool: ConnectionPool | None) -> list[object]:
    @web.middleware
    async def errors(request: web.Request, handler: _Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except ConnectionError as error:
            _log.debug("client went away during %s %s: %s", request.method, redact_path(request.path), error)
            gone = web.Response(status=_CLIENT_GONE)
            gone.force_close()
            return gone
        except Exception:
            # A bug of ours: keep the traceback, answer a plain 500.
            _log.exception("internal error answering %s %s", request.method, redact_path(request.path))
            failed = web.Response(status=500, text="500 internal server error\n", content_type="text/plain")
            failed.force_close()
            return failed

    @web.middleware
    async def track(request: web.Request, handler: _Handler) -> web.StreamResponse:
        if pool is None:
            return await handler(request)
        transport = request.transport
        pool.request_started(transport)
        try:
            return await handler(request)
        finally:
            pool.request_finished(transport)

    return [track, errors]


def make_store_app(
    root: Path,
    *,
    signer: UrlSigner | None = None,
    clock: Callable[[], float] = time.time,
    idle_timeout: float = 15.0,
    pool: ConnectionPool | None = None,
    front: Front | None = None,
) -> web.Application:
    """An aiohttp application serving the files of ``root`` (signed URLs only when ``signer``).

    With ``front``, the store front's pages and access flow are served too, and URLs signed for a
    grant are checked against the grant's state and audited.
    """
    app = web.Application(middlewares=_middlewares(pool), client_max_size=_MAX_BODY)  # type: ignore[arg-type]
    access: ShardAccess | None = None
    if front is not None:
        front.add_routes(app)
        access = front.access
    files = FileHandler(root, signer=signer, clock=clock, idle_timeout=idle_timeout, access=access)
    app.router.add_get("/{tail:.*}", files.handle)
    return app
