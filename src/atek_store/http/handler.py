"""A transport that calls a plain function: the test double for logic that sits above a transport.

``HandlerTransport(handler)`` passes each GET to ``handler(request)`` and answers with the
:class:`StubResponse` it returns; :func:`answer_range` answers a request for some bytes the way a
correct server would, so a handler only spells out what it does wrong. I/O behaviour (sockets,
timeouts) is tested against the real loopback server instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from urllib3 import HTTPHeaderDict

from atek_store.errors import TransferError
from atek_store.http.transport import TransferResponse

__all__ = ["HandlerTransport", "StubRequest", "StubResponse", "answer_range"]


@dataclass(frozen=True)
class StubRequest:
    """What the caller asked for: the URL and the byte range ``[offset, end)`` (``end`` None: to the end)."""

    url: str
    offset: int = 0
    end: int | None = None


@dataclass(frozen=True)
class StubResponse:
    """A canned answer: status, headers, the body in pieces, and optionally an error after them (a cut)."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    chunks: Sequence[bytes] = ()
    error_after: TransferError | None = None


class _Playback:
    def __init__(self, stub: StubResponse) -> None:
        self.status = stub.status
        self.headers: Mapping[str, str] = HTTPHeaderDict(dict(stub.headers))
        self._chunks = [bytes(chunk) for chunk in stub.chunks if chunk]
        self._error = stub.error_after
        self.closed = False

    def read(self, size: int) -> bytes:
        if self._chunks:
            head = self._chunks[0]
            piece, rest = head[:size], head[size:]
            if rest:
                self._chunks[0] = rest
            else:
                self._chunks.pop(0)
            return piece
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return b""

    def close(self) -> None:
        self.closed = True


class HandlerTransport:
    """Answers every GET with ``handler(request)``; records the requests it saw."""

    def __init__(self, handler: Callable[[StubRequest], StubResponse]) -> None:
        """Wrap ``handler``; it may also raise a TransferError (no answer at all)."""
        self._handler = handler
        self.requests: list[StubRequest] = []

    def get(self, url: str, *, offset: int = 0, end: int | None = None) -> TransferResponse:
        """Record the request and play back the handler's answer."""
        request = StubRequest(url=url, offset=offset, end=end)
        self.requests.append(request)
        return _Playback(self._handler(request))

    def close(self) -> None:
        """Nothing to release."""


def answer_range(data: bytes, request: StubRequest, *, chunk_size: int = 1 << 16) -> StubResponse:
    """What a correct ranged server answers for ``request`` over ``data``."""
    size = len(data)

    def pieces(body: bytes) -> list[bytes]:
        return [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)]

    if request.offset <= 0 and request.end is None:
        return StubResponse(200, {"Content-Length": str(size)}, pieces(data))
    if request.offset >= size:
        return StubResponse(416, {"Content-Range": f"bytes */{size}"})
    last = size - 1 if request.end is None else min(request.end, size) - 1
    body = data[request.offset : last + 1]
    headers = {"Content-Range": f"bytes {request.offset}-{last}/{size}", "Content-Length": str(len(body))}
    return StubResponse(206, headers, pieces(body))
