"""Assemble the store front: its state, datasets, previews, templates and routes.

:func:`open_front` loads everything before the server listens (the state folder's schema, the
hosted datasets with their SHA-1s, the templates), so a broken setup fails at start with one
message instead of on a user's first click. :class:`FrontSite` then adds the routes to the store's
application and runs database work on its own two threads, never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from atek_store.store.files import ShardAccess
from atek_store.store.front.csrf import CsrfTokens
from atek_store.store.front.datasets import HostedStore, load_hosted_store
from atek_store.store.front.policy import FrontConfig
from atek_store.store.front.preview import Previews
from atek_store.store.front.ratelimit import RateLimiter
from atek_store.store.front.state import AccessState, open_state
from atek_store.store.signing import UrlSigner

__all__ = ["FrontContext", "FrontSite", "open_front"]

_log = logging.getLogger(__name__)

_HERE = Path(__file__).parent
_T = TypeVar("_T")
# Pages may only load what this server serves; no script runs; nothing may frame them.
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Grant pages carry their token in the URL: never send it on as a Referer.
    "Referrer-Policy": "no-referrer",
}


def _size(value: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value} B"


@dataclass
class FrontContext:
    """What the front's handlers share."""

    config: FrontConfig
    store: HostedStore
    state: AccessState
    signer: UrlSigner
    csrf: CsrfTokens
    limiter: RateLimiter
    previews: Previews
    templates: Any  # a jinja2.Environment (jinja2 is imported only when a front runs)
    executor: ThreadPoolExecutor
    clock: Callable[[], float]

    async def db(self, function: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """Run a state-database call on the front's threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, lambda: function(*args, **kwargs))

    def page(self, template: str, *, status: int = 200, private: bool = False, **values: Any) -> web.Response:
        """A rendered HTML page with the security headers (``private``: never cached)."""
        html = self.templates.get_template(template).render(**values)
        response = web.Response(status=status, text=html, content_type="text/html", charset="utf-8")
        response.headers.update(_SECURITY_HEADERS)
        response.headers["Cache-Control"] = "no-store" if private else "no-cache"
        return response

    def message(self, status: int, title: str, message: str, *, kind: str = "error") -> web.Response:
        """A page that says one thing (an error, a refusal)."""
        return self.page("message.html", status=status, private=True, title=title, message=message, kind=kind)

    def client(self, request: web.Request) -> str:
        """The client's address (the last ``X-Forwarded-For`` hop when the proxy is trusted)."""
        if self.config.trust_forwarded:
            forwarded = request.headers.get("X-Forwarded-For", "")
            last = forwarded.rsplit(",", 1)[-1].strip()
            if last:
                return last[:64]
        return request.remote or "?"


class FrontSite:
    """The store front, ready to add to the store's aiohttp application."""

    def __init__(self, context: FrontContext) -> None:
        from atek_store.store.front.access import AccessRoutes, GrantAccess
        from atek_store.store.front.pages import PageRoutes

        self.context = context
        self._pages = PageRoutes(context)
        self._access_routes = AccessRoutes(context)
        self._access = GrantAccess(context)

    @property
    def access(self) -> ShardAccess:
        """Grant checks and the audit of file requests signed for a grant."""
        return self._access

    def add_routes(self, app: web.Application) -> None:
        """The front's routes (the file route is added after them, as the catch-all)."""
        self._pages.add_routes(app)
        self._access_routes.add_routes(app)
        app.router.add_static("/static/", _HERE / "static", append_version=False)

        async def background(app: web.Application) -> Any:
            previews = self.context.config.previews
            task = asyncio.create_task(self.context.previews.build()) if previews else None
            yield
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            self.context.executor.shutdown(wait=True)

        app.cleanup_ctx.append(background)


def open_front(
    root: Path,
    config: FrontConfig,
    *,
    secret: str | None,
    clock: Callable[[], float] = time.time,
) -> tuple[FrontSite, UrlSigner]:
    """Load the state folder and the hosted datasets; returns the front and the signer it uses.

    Without ``secret``, the state folder's own (made on first use) signs the URLs.

    Raises:
        UsageError: a setting is wrong.
        StoreError: the state folder or a dataset cannot be used.
    """
    import jinja2

    state = open_state(config.state_dir, clock=clock)
    signer = UrlSigner(secret if secret is not None else state.secret())
    store = load_hosted_store(root, config.state_dir)
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    templates.filters["size"] = _size
    context = FrontContext(
        config=config,
        store=store,
        state=state,
        signer=signer,
        csrf=CsrfTokens(signer.key("csrf")),
        # Bursts of up to one minute's worth (at least 5: a user who mistypes twice is not blocked).
        limiter=RateLimiter(
            rate_per_minute=config.requests_per_minute,
            burst=max(5, round(config.requests_per_minute)),
            clock=time.monotonic,
        ),
        previews=Previews(store=store, cache=config.state_dir / "previews"),
        templates=templates,
        executor=ThreadPoolExecutor(max_workers=2, thread_name_prefix="atek-state"),
        clock=clock,
    )
    _log.info(
        "store front: %d dataset(s) (%s), state in %s, %s approval",
        len(store.datasets),
        ", ".join(dataset.name for dataset in store.datasets),
        config.state_dir,
        config.approval.value,
    )
    return FrontSite(context), signer
