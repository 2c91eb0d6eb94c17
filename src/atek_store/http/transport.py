"""The narrow interface every byte source sits behind: GET a URL, optionally a byte range.

A :class:`Transport` answers like an HTTP server would (status, headers, a body read in pieces) and
never retries: retrying, resuming and checking what came back are the job of
:mod:`atek_store.http.ranged` and :mod:`atek_store.http.resumable`, the same for every transport.
Implementations: :class:`~atek_store.http.pooled.HttpTransport` (http/https),
:class:`~atek_store.http.local.FileTransport` (``file://``, only where allowed),
:class:`~atek_store.http.routing.RoutingTransport` (by scheme) and
:class:`~atek_store.http.handler.HandlerTransport` (a plain function, for tests).
``tests/http/test_transport_contract.py`` holds them all to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

__all__ = ["TransferResponse", "Transport", "range_header"]


class TransferResponse(Protocol):
    """One answer; its body is read in pieces. Close it when done."""

    status: int
    headers: Mapping[str, str]  # case-insensitive lookups

    def read(self, size: int) -> bytes:
        """Up to ``size`` body bytes, as soon as any have arrived; ``b""`` at the end of the body.

        Raises a retryable TransferError when the body breaks off (connection lost, read timeout).
        """
        ...

    def close(self) -> None:
        """Release the connection (dropping it when the body was not read to the end). Idempotent."""
        ...


class Transport(Protocol):
    """Something that can GET a URL from a byte offset (and up to an end)."""

    def get(self, url: str, *, offset: int = 0, end: int | None = None) -> TransferResponse:
        """Send a GET; with ``offset > 0`` or an ``end``, ask for ``Range: bytes=<offset>-<end - 1>``.

        Raises TransferError when no answer comes (``retryable`` says whether one may come later).
        """
        ...

    def close(self) -> None:
        """Release pooled connections."""
        ...


def range_header(offset: int, end: int | None) -> str | None:
    """The ``Range`` value for bytes ``[offset, end)``; None when the whole body is wanted."""
    if end is not None:
        return f"bytes={offset}-{end - 1}"
    return f"bytes={offset}-" if offset > 0 else None
