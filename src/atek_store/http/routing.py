"""Which transport serves which URL scheme, and the default set: http(s) always, files when allowed."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from atek_store.errors import TransferError
from atek_store.http.local import FileTransport
from atek_store.http.pooled import HttpTransport
from atek_store.http.redact import redact_url
from atek_store.http.transport import TransferResponse, Transport

__all__ = ["RoutingTransport", "make_transport"]


class RoutingTransport:
    """Sends each URL to the transport of its scheme; an unrouted scheme fails at once."""

    def __init__(self, routes: Mapping[str, Transport]) -> None:
        """Route by lower-case scheme, e.g. ``{"http": http, "https": http, "file": files}``."""
        self._routes = {scheme.lower(): transport for scheme, transport in routes.items()}

    def get(self, url: str, *, offset: int = 0, end: int | None = None) -> TransferResponse:
        """Delegate to the transport of the URL's scheme."""
        scheme = urlsplit(url).scheme.lower()
        transport = self._routes.get(scheme)
        if transport is None:
            allowed = ", ".join(sorted(self._routes)) or "none"
            raise TransferError(
                f"cannot fetch {redact_url(url)}: URL scheme {scheme!r} is not allowed here "
                f"(allowed: {allowed})",
                url=redact_url(url),
                retryable=False,
            )
        return transport.get(url, offset=offset, end=end)

    def close(self) -> None:
        """Close every routed transport once."""
        for transport in {id(t): t for t in self._routes.values()}.values():
            transport.close()


def make_transport(
    *,
    max_connections: int = 8,
    timeout: float = 30.0,
    connect_timeout: float | None = None,
    max_redirects: int = 5,
    allow_file_urls: bool = False,
) -> RoutingTransport:
    """The default transport: one pooled :class:`HttpTransport` for http/https, files when allowed.

    ``file://`` is routed only with ``allow_file_urls``: a URL JSON must not read local files otherwise.
    """
    http = HttpTransport(
        max_connections=max_connections,
        timeout=timeout,
        connect_timeout=connect_timeout,
        max_redirects=max_redirects,
    )
    routes: dict[str, Transport] = {"http": http, "https": http}
    if allow_file_urls:
        routes["file"] = FileTransport()
    return RoutingTransport(routes)
