"""The access flow: the form post, the requester's grant page, their URL JSON, and grant checks.

Routes::

    POST /datasets/{dataset}/access            email + licence acceptance -> 303 to the grant page
    GET  /access/{token}                       the grant's page (download button, or pending/revoked)
    GET  /access/{token}/{Dataset}_ATEK_download_urls.json   a fresh URL JSON signed for the grant

The token is the requester's bearer secret (32 random bytes; only its hash is stored): the
requester's email never appears in a URL. Each JSON is built anew with URLs that expire
``ttl_days`` from now and carry the grant id in their signature, so a returning requester gets
working URLs and the downloader fetches only what it lacks. :class:`GrantAccess` is the check the
file handler runs on such URLs: a grant that is not active answers 403 with the reason.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re

from aiohttp import web

from atek_store.store.files import Refusal, ServedFile
from atek_store.store.front.csrf import COOKIE, FIELD
from atek_store.store.front.datasets import HostedDataset
from atek_store.store.front.pages import dataset_page
from atek_store.store.front.policy import Approval, normalise_email
from atek_store.store.front.site import FrontContext
from atek_store.store.front.state import AuditEvent, AuditKind, Grant, GrantStatus
from atek_store.store.publish import default_json_name
from atek_store.store.shardcheck import ShardDigest
from atek_store.store.urljson import PublishedShard, build_url_json

__all__ = ["AccessRoutes", "GrantAccess"]

_log = logging.getLogger(__name__)

_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_FORM_TIMEOUT_S = 10.0
_HOST = re.compile(r"(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")


def _date(timestamp: float | None) -> str:
    if timestamp is None:
        return "?"
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _plausible_token(token: str) -> bool:
    return 20 <= len(token) <= 64 and set(token) <= _TOKEN_CHARS


class AccessRoutes:
    """Handlers of the access flow."""

    def __init__(self, context: FrontContext) -> None:
        self._context = context

    def add_routes(self, app: web.Application) -> None:
        """Register the access routes."""
        app.router.add_post("/datasets/{dataset}/access", self.request_access)
        app.router.add_get("/access/{token}", self.grant_page)
        app.router.add_get("/access/{token}/{name}", self.url_json)

    async def request_access(self, request: web.Request) -> web.StreamResponse:
        """Check the form and record the request; send the requester to their grant page."""
        context = self._context
        dataset = context.store.dataset(request.match_info["dataset"])
        if dataset is None:
            raise web.HTTPNotFound(text="no such dataset\n")
        wait = context.limiter.check(context.client(request))
        if wait is not None:
            response = context.message(
                429,
                "Too many requests",
                f"Too many access requests from your address; try again in {wait:.0f} s.",
            )
            response.headers["Retry-After"] = str(int(wait))
            return response
        try:
            form = await asyncio.wait_for(request.post(), _FORM_TIMEOUT_S)
        except asyncio.TimeoutError:
            return context.message(408, "Request timeout", "The form took too long to arrive; send it again.")
        field = form.get(FIELD)
        if not context.csrf.valid(request.cookies.get(COOKIE), field if isinstance(field, str) else None):
            return dataset_page(
                context,
                request,
                dataset,
                status=403,
                error="The form expired or came from another site; please send it again from this page.",
            )
        raw_email = form.get("email")
        typed = raw_email[:300] if isinstance(raw_email, str) else ""
        email = normalise_email(typed)
        if email is None:
            return dataset_page(
                context,
                request,
                dataset,
                status=400,
                error="Please enter a valid email address.",
                email=typed,
            )
        if form.get("accept_licence") != "yes":
            return dataset_page(
                context,
                request,
                dataset,
                status=400,
                error="Please accept the licence to get access.",
                email=typed,
            )
        refusal = context.config.refusal(email)
        if refusal is not None:
            return dataset_page(
                context, request, dataset, status=403, error=refusal.capitalize() + ".", email=typed
            )
        status = GrantStatus.PENDING if context.config.approval is Approval.MANUAL else GrantStatus.ACTIVE
        issued = await context.db(
            context.state.create_grant, dataset=dataset.name, email=email, status=status
        )
        _log.info("access grant %s for %s: %s", issued.grant.id, dataset.name, status.value)
        raise web.HTTPSeeOther(location=f"/access/{issued.token}")

    async def _grant(self, request: web.Request) -> tuple[str, Grant]:
        token = request.match_info["token"]
        grant = (
            await self._context.db(self._context.state.grant_by_token, token)
            if _plausible_token(token)
            else None
        )
        if grant is None:
            raise web.HTTPNotFound(
                text="no such access grant: request access again from the dataset's page\n"
            )
        return token, grant

    async def grant_page(self, request: web.Request) -> web.Response:
        """The requester's page: the download button while the grant is active."""
        token, grant = await self._grant(request)
        dataset = self._context.store.dataset(grant.dataset)
        return self._context.page(
            "grant.html",
            private=True,
            title=f"{grant.dataset} access",
            grant=grant,
            token=token,
            json_name=default_json_name(grant.dataset),
            ttl_days=f"{self._context.config.ttl_days:g}",
            first_config=dataset.configs[0].name if dataset and dataset.configs else "CONFIG",
        )

    async def url_json(self, request: web.Request) -> web.Response:
        """A fresh ``<Dataset>_ATEK_download_urls.json`` signed for the grant."""
        context = self._context
        token, grant = await self._grant(request)
        name = default_json_name(grant.dataset)
        dataset = context.store.dataset(grant.dataset)
        if request.match_info["name"] != name or dataset is None:
            raise web.HTTPNotFound(text=f"not found: this grant's file is {name}\n")
        if grant.status is not GrantStatus.ACTIVE:
            return context.message(
                403,
                "No access",
                f"Access grant {grant.id} is {grant.status.value}: no download links are issued.",
            )
        expires = int(context.clock()) + context.config.ttl_seconds
        document = self._document(request, dataset, grant, expires)
        event = AuditEvent(AuditKind.JSON, grant.id, dataset=grant.dataset, detail=f"expires {expires}")
        await context.db(context.state.record, event)
        _log.info("issued a URL JSON for grant %s (expires %s)", grant.id, _date(expires))
        response = web.Response(
            text=json.dumps(document, indent=2) + "\n", content_type="application/json", charset="utf-8"
        )
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    def _base_url(self, request: web.Request) -> str:
        if self._context.config.public_url is not None:
            return self._context.config.public_url.rstrip("/")
        # Without --public-url the URLs follow the Host header; only a plain host[:port] is taken.
        if not _HOST.fullmatch(request.host):
            raise web.HTTPBadRequest(
                text="the Host header is not a host name; the store needs --public-url\n"
            )
        return f"{request.scheme}://{request.host}"

    def _document(
        self, request: web.Request, dataset: HostedDataset, grant: Grant, expires: int
    ) -> dict[str, object]:
        base = self._base_url(request)
        signer = self._context.signer
        published = [
            PublishedShard(
                shard=hosted.shard,
                # samples is not part of the URL JSON; the front does not count them.
                digest=ShardDigest(path=hosted.shard.path, size=hosted.size, sha1=hosted.sha1, samples=0),
                url=signer.sign_url(base, hosted.relpath, expires, grant=grant.id),
            )
            for hosted in dataset.shards
        ]
        return build_url_json(
            dataset_name=dataset.name, release_version=dataset.release_version, published=published
        )


class GrantAccess:
    """The file handler's check of URLs signed for a grant, and their audit."""

    def __init__(self, context: FrontContext) -> None:
        self._context = context
        self._datasets = {shard.relpath: d.name for d in context.store.datasets for shard in d.shards}
        self._in_flight: dict[str, int] = {}

    async def admit(self, relpath: str, grant: str) -> Refusal | None:
        """Admit a request while the grant is active and under its concurrency cap."""
        reason = await self._refusal(relpath, grant)
        if reason is not None:
            return Refusal(403, f"Forbidden: {reason}")
        limit = self._context.config.requests_per_grant
        if self._in_flight.get(grant, 0) >= limit:
            _log.info("refused /%s: grant %s has %d downloads in flight", relpath, grant, limit)
            return Refusal(
                429,
                f"Too Many Requests: grant {grant} has {limit} downloads in flight; retry soon",
                retry_after=2,
            )
        self._in_flight[grant] = self._in_flight.get(grant, 0) + 1
        return None

    def release(self, grant: str) -> None:
        """One of the grant's downloads is over."""
        left = self._in_flight.get(grant, 0) - 1
        if left > 0:
            self._in_flight[grant] = left
        else:
            self._in_flight.pop(grant, None)

    async def _refusal(self, relpath: str, grant: str) -> str | None:
        found = await self._context.db(self._context.state.grant, grant)
        if found is None:
            return (
                f"access grant {grant} is not known to this store's state folder; "
                "request access again from the store's page"
            )
        if found.status is GrantStatus.ACTIVE:
            return None
        _log.info("refused /%s: grant %s is %s", relpath, grant, found.status.value)
        if found.status is GrantStatus.REVOKED:
            return (
                f"access grant {grant} was revoked on {_date(found.decided_at)} by the store's operator; "
                "these URLs no longer work: contact the store's operator"
            )
        return (
            f"access grant {grant} is {found.status.value}: "
            "its URLs work once the store's operator approves it"
        )

    async def served(self, event: ServedFile) -> None:
        """Append the answered request to the audit log."""
        context = self._context
        dataset = self._datasets.get(event.relpath)
        row = AuditEvent(
            AuditKind.FILE,
            event.grant,
            dataset=dataset,
            path=event.relpath,
            status=event.status,
            bytes_sent=event.bytes_sent,
            length=event.length,
        )
        await context.db(context.state.record, row)
