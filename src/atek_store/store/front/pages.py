"""The front's pages: the datasets table, a dataset, a configuration, its sequences, and their images.

Routes (GET and HEAD)::

    /                                                      the seed's table of datasets x configurations
    /datasets/{dataset}                                    description, licence, configurations, access form
    /datasets/{dataset}/configs/{config}                   what the configuration is, one rendered sample
    /datasets/{dataset}/configs/{config}/sample.png        that sample (from the preview cache)
    /datasets/{dataset}/configs/{config}/sequences         sequences with shard sizes and thumbnails
    /datasets/{dataset}/configs/{config}/sequences/{sequence}/thumbnail.jpg

Names in the path are looked up in the hosted store, never used to build a file path directly.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from atek_store.store.front.csrf import COOKIE
from atek_store.store.front.datasets import HostedConfig, HostedDataset
from atek_store.store.front.policy import Approval
from atek_store.store.front.site import FrontContext

__all__ = ["PageRoutes"]

_PREFIX = "/datasets/{dataset}"
_CONFIG = _PREFIX + "/configs/{config}"


class PageRoutes:
    """Handlers of the front's pages."""

    def __init__(self, context: FrontContext) -> None:
        self._context = context

    def add_routes(self, app: web.Application) -> None:
        """Register the page routes."""
        router = app.router
        router.add_get("/", self.index)
        router.add_get(_PREFIX, self.dataset)
        router.add_get(_CONFIG, self.config)
        router.add_get(_CONFIG + "/sample.png", self.sample)
        router.add_get(_CONFIG + "/sequences", self.sequences)
        router.add_get(_CONFIG + "/sequences/{sequence}/thumbnail.jpg", self.thumbnail)

    def _dataset(self, request: web.Request) -> HostedDataset:
        dataset = self._context.store.dataset(request.match_info["dataset"])
        if dataset is None:
            raise web.HTTPNotFound(text="no such dataset\n")
        return dataset

    def _config(self, request: web.Request) -> tuple[HostedDataset, HostedConfig]:
        dataset = self._dataset(request)
        config = dataset.config(request.match_info["config"])
        if config is None:
            raise web.HTTPNotFound(text="no such configuration\n")
        return dataset, config

    async def index(self, request: web.Request) -> web.Response:
        """The table of datasets and configurations."""
        return self._context.page("index.html", title="Datasets", store=self._context.store)

    async def dataset(self, request: web.Request) -> web.Response:
        """A dataset's page with the access form."""
        return dataset_page(self._context, request, self._dataset(request))

    async def config(self, request: web.Request) -> web.Response:
        """What a configuration is, with one rendered sample."""
        dataset, config = self._config(request)
        previews = self._context.previews
        return self._context.page(
            "config.html",
            title=f"{dataset.name} {config.name}",
            dataset=dataset,
            config=config,
            facts=previews.facts(dataset.name, config.name),
            has_sample=previews.sample(dataset.name, config.name) is not None,
            building=previews.building,
        )

    async def sequences(self, request: web.Request) -> web.Response:
        """The sequences of a configuration with shard sizes and thumbnails."""
        dataset, config = self._config(request)
        previews = self._context.previews
        thumbnails = {
            sequence.name
            for sequence in config.sequences
            if previews.thumbnail(dataset.name, config.name, sequence.name) is not None
        }
        return self._context.page(
            "sequences.html",
            title=f"{dataset.name} {config.name} sequences",
            dataset=dataset,
            config=config,
            thumbnails=thumbnails,
        )

    async def sample(self, request: web.Request) -> web.Response:
        """The rendered sample of a configuration."""
        dataset, config = self._config(request)
        return await _image(self._context.previews.sample(dataset.name, config.name), "image/png")

    async def thumbnail(self, request: web.Request) -> web.Response:
        """A sequence's thumbnail."""
        dataset, config = self._config(request)
        sequence = config.sequence(request.match_info["sequence"])
        if sequence is None:
            raise web.HTTPNotFound(text="no such sequence\n")
        path = self._context.previews.thumbnail(dataset.name, config.name, sequence.name)
        return await _image(path, "image/jpeg")


async def _image(path: Path | None, content_type: str) -> web.Response:
    if path is None:
        raise web.HTTPNotFound(text="not made yet\n")
    try:
        data = await asyncio.get_running_loop().run_in_executor(None, path.read_bytes)
    except OSError as error:
        raise web.HTTPNotFound(text="not available\n") from error
    response = web.Response(body=data, content_type=content_type)
    response.headers["Cache-Control"] = "max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def dataset_page(
    context: FrontContext,
    request: web.Request,
    dataset: HostedDataset,
    *,
    status: int = 200,
    error: str = "",
    email: str = "",
) -> web.Response:
    """The dataset page, with a fresh CSRF cookie when the browser has none."""
    cookie = request.cookies.get(COOKIE, "")
    fresh = not context.csrf.usable(cookie)
    if fresh:
        cookie = context.csrf.new_cookie()
    response = context.page(
        "dataset.html",
        status=status,
        private=True,
        title=dataset.name,
        dataset=dataset,
        csrf_token=context.csrf.field_for(cookie),
        error=error,
        email=email,
        manual=context.config.approval is Approval.MANUAL,
    )
    if fresh:
        response.set_cookie(
            COOKIE,
            cookie,
            httponly=True,
            samesite="Strict",
            secure=(context.config.public_url or "").startswith("https:"),
            path="/",
        )
    return response
