"""Serve the files below the store root: GET and HEAD, Range, conditional requests, sendfile.

Each request goes through three gates, in this order: the path must be a plain store path (every
segment letters, digits, '_', '-', '.', not starting with '.'; so no '..', no hidden files, no
absolute or encoded tricks, answered 404); with a signer, the URL must carry a valid, unexpired
signature (403 with a body that says which check failed), checked before the file system is
touched so that unsigned clients learn nothing about which files exist, and a URL signed for a
grant must name a grant that is still active (the :class:`ShardAccess` hook); and the file must
be a regular file whose real path is inside the root (404). The answer then follows RFC 9110
(see :mod:`atek_store.store.httpfile`) and the bytes go out with ``sendfile``, never through
Python.

Nothing that may block runs on the event loop: the file is looked up and opened on an executor
thread, non-blocking and type-checked before any read, so a FIFO or a device node in the root
cannot hold a thread; the body goes out in chunks, each of which must leave within the idle
timeout, so a client that stops reading frees its connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import errno
import logging
import os
import socket
import stat
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from aiohttp import hdrs, web

from atek_store.errors import SignatureError
from atek_store.store.accesslog import redact_path
from atek_store.store.httpfile import FileAnswer, FileFacts, RequestConditions, decide
from atek_store.store.layout import SAFE_NAME
from atek_store.store.signing import EXPIRES_PARAM, GRANT_PARAM, SIGNATURE_PARAM, UrlSigner

__all__ = ["FileHandler", "Refusal", "ServedFile", "ShardAccess", "plain_text", "store_path"]

_log = logging.getLogger(__name__)

_CONTENT_TYPES = {".tar": "application/x-tar", ".json": "application/json", ".yaml": "application/yaml"}
# Bytes handed to one sendfile call: a client must take this much within the idle timeout.
_CHUNK = 1 << 20
_OUT_OF_DESCRIPTORS = frozenset({errno.EMFILE, errno.ENFILE})


@dataclass(frozen=True)
class ServedFile:
    """One answered file request, for the audit log."""

    relpath: str
    grant: str | None
    status: int
    bytes_sent: int
    length: int  # bytes the answer promised


@dataclass(frozen=True)
class Refusal:
    """Why a request signed for a grant is not served: 403 (grant not active) or 429 (too busy)."""

    status: int
    message: str
    retry_after: int | None = None


class ShardAccess(Protocol):
    """What the store front adds to file serving: grant checks and the audit of every file sent."""

    async def admit(self, relpath: str, grant: str) -> Refusal | None:
        """Admit a request signed for ``grant`` (then :meth:`release` it), or say why not."""
        ...

    def release(self, grant: str) -> None:
        """An admitted request of ``grant`` is over."""
        ...

    async def served(self, event: ServedFile) -> None:
        """Record an answered (or refused) request of a URL signed for a grant."""
        ...


class _Busy(Exception):
    """The process has no descriptor left to open the file: answer 503, the client retries."""


def store_path(path: str) -> str | None:
    """The store-relative path of a request path, or None if it is not a plain store path."""
    if not path.startswith("/"):
        return None
    segments = path[1:].split("/")
    if not all(SAFE_NAME.fullmatch(segment) for segment in segments):
        return None
    return "/".join(segments)


def _single(request: web.Request, name: str) -> str | None:
    values = request.query.getall(name, [])
    if len(values) > 1:
        # Two Expires or two Signature parameters: refuse rather than guess which one counts.
        return "\0"
    return values[0] if values else None


def _open_regular(root: Path, relpath: str) -> tuple[IO[bytes], os.stat_result] | None:
    """Open a regular file inside ``root`` (after resolving links); None if there is none.

    The type is checked before opening (a FIFO would block ``open`` until a writer comes) and
    again on the open descriptor (the name may have been swapped meanwhile); ``O_NONBLOCK``
    makes the open itself return at once whatever the file is.

    Raises:
        _Busy: no descriptor is left.
    """
    try:
        real = (root / relpath).resolve(strict=True)
        if not real.is_relative_to(root) or not stat.S_ISREG(real.stat().st_mode):
            return None
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        if error.errno in _OUT_OF_DESCRIPTORS:
            raise _Busy from error
        return None
    except RuntimeError:  # a symlink loop
        return None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        return None
    return os.fdopen(fd, "rb"), info


def _reset(transport: asyncio.BaseTransport) -> None:
    """Close a stalled connection with a reset, dropping what still waits in the kernel's buffer."""
    sock = transport.get_extra_info("socket")
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(Exception):
        transport.abort()  # type: ignore[attr-defined]


def plain_text(status: int, message: str) -> web.Response:
    """A short ``text/plain`` answer."""
    return web.Response(status=status, text=message + "\n", content_type="text/plain")


class FileHandler:
    """The request handler for store files (:meth:`handle` goes into aiohttp's router)."""

    def __init__(
        self,
        root: Path,
        *,
        signer: UrlSigner | None,
        clock: Callable[[], float],
        idle_timeout: float,
        access: ShardAccess | None = None,
    ) -> None:
        self._root = root.resolve()
        self._signer = signer
        self._clock = clock
        self._idle_timeout = idle_timeout
        self._access = access

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer a GET or HEAD of a store file."""
        relpath = store_path(request.path)
        if relpath is None:
            # The raw path shows an encoding trick as sent; its query (a signature) and an access
            # token in it (``/access/<token>/``) stay out of the log.
            shown = redact_path(request.raw_path.partition("?")[0])
            _log.info("refused %s %s: not a store path", request.method, shown[:200])
            return plain_text(404, "not found")
        grant: str | None = None
        if self._signer is not None:
            grant = _single(request, GRANT_PARAM)
            try:
                self._signer.verify(
                    relpath,
                    _single(request, EXPIRES_PARAM),
                    _single(request, SIGNATURE_PARAM),
                    now=self._clock(),
                    grant=grant,
                )
            except SignatureError as error:
                _log.info("refused %s %s: %s", request.method, redact_path("/" + relpath), error.reason)
                return plain_text(403, f"403 Forbidden: {error}")
        if grant is None or self._access is None:
            response, _ = await self._file(request, relpath, grant)
            return response
        access = self._access
        refusal = await access.admit(relpath, grant)
        if refusal is not None:
            await access.served(ServedFile(relpath, grant, refusal.status, 0, 0))
            refused = plain_text(refusal.status, f"{refusal.status} {refusal.message}")
            if refusal.retry_after is not None:
                refused.headers[hdrs.RETRY_AFTER] = str(refusal.retry_after)
            return refused
        try:
            response, event = await self._file(request, relpath, grant)
        finally:
            access.release(grant)
        await access.served(event)
        return response

    async def _file(
        self, request: web.Request, relpath: str, grant: str | None
    ) -> tuple[web.StreamResponse, ServedFile]:
        """Open the file and answer; the event says what went out."""
        loop = asyncio.get_running_loop()
        try:
            opened = await loop.run_in_executor(None, _open_regular, self._root, relpath)
        except _Busy:
            _log.warning("no file descriptor left to open /%s; answered 503", relpath)
            busy = plain_text(503, "the server is busy: retry in a few seconds")
            busy.headers[hdrs.RETRY_AFTER] = "5"
            return busy, ServedFile(relpath, grant, 503, 0, 0)
        if opened is None:
            return plain_text(404, "not found"), ServedFile(relpath, grant, 404, 0, 0)
        file, info = opened
        try:
            return await self._send(request, file, info, relpath, grant)
        finally:
            file.close()

    async def _send(
        self, request: web.Request, file: IO[bytes], info: os.stat_result, relpath: str, grant: str | None
    ) -> tuple[web.StreamResponse, ServedFile]:
        facts = FileFacts(
            size=info.st_size, etag=f'"{info.st_size:x}-{info.st_mtime_ns:x}"', mtime=int(info.st_mtime)
        )
        headers = request.headers
        answer = decide(
            RequestConditions(
                range=headers.get(hdrs.RANGE),
                if_range=headers.get(hdrs.IF_RANGE),
                if_match=headers.get(hdrs.IF_MATCH),
                if_none_match=headers.get(hdrs.IF_NONE_MATCH),
                if_modified_since=headers.get(hdrs.IF_MODIFIED_SINCE),
                if_unmodified_since=headers.get(hdrs.IF_UNMODIFIED_SINCE),
            ),
            facts,
        )
        validators: dict[str, str] = {
            hdrs.ETAG: facts.etag,
            hdrs.LAST_MODIFIED: email.utils.formatdate(facts.mtime, usegmt=True),
            hdrs.ACCEPT_RANGES: "bytes",
        }
        response: web.StreamResponse
        if answer.status == 304:
            response = web.Response(status=304, headers=validators)
        elif answer.status == 412:
            response = plain_text(
                412, "precondition failed: the file does not match If-Match / If-Unmodified-Since"
            )
        elif answer.status == 416:
            response = plain_text(416, f"range not satisfiable: the file has {facts.size} bytes")
            response.headers[hdrs.CONTENT_RANGE] = f"bytes */{facts.size}"
        else:
            return await self._stream(request, file, answer, facts, validators, relpath, grant)
        return response, ServedFile(relpath, grant, answer.status, 0, 0)

    async def _stream(
        self,
        request: web.Request,
        file: IO[bytes],
        answer: FileAnswer,
        facts: FileFacts,
        validators: dict[str, str],
        relpath: str,
        grant: str | None,
    ) -> tuple[web.StreamResponse, ServedFile]:
        response = web.StreamResponse(status=answer.status, headers=validators)
        response.content_type = _CONTENT_TYPES.get(Path(relpath).suffix, "application/octet-stream")
        response.content_length = answer.length
        if answer.status == 206:
            response.headers[hdrs.CONTENT_RANGE] = f"bytes {answer.start}-{answer.stop - 1}/{facts.size}"
        sent = 0
        try:
            await response.prepare(request)
            if request.method != hdrs.METH_HEAD and answer.length:
                sent = await self._body(request, file, answer)
            await response.write_eof()
        except ConnectionError as error:
            # A client that stops a download is routine: aiohttp sees the closed connection when it
            # finishes the response and drops it without an error. A body cut short must not be
            # followed by another answer on the same connection.
            response.force_close()
            _log.debug("client stopped receiving /%s after %d bytes: %s", relpath, sent, error)
        length = answer.length if request.method != hdrs.METH_HEAD else 0
        return response, ServedFile(relpath, grant, answer.status, sent, length)

    async def _body(self, request: web.Request, file: IO[bytes], answer: FileAnswer) -> int:
        transport = request.transport
        loop = asyncio.get_running_loop()
        sent = 0
        while sent < answer.length:
            # Checked before every chunk: sendfile refuses a closing transport with a RuntimeError.
            if transport is None or transport.is_closing():
                raise ConnectionResetError(f"connection closed after {sent} bytes of the body")
            count = min(_CHUNK, answer.length - sent)
            try:
                # The kernel copies the file to the socket; asyncio falls back to reads where it cannot.
                done = await asyncio.wait_for(
                    loop.sendfile(transport, file, answer.start + sent, count), self._idle_timeout
                )
            except asyncio.TimeoutError:
                _reset(transport)
                raise ConnectionResetError(
                    f"the client took nothing for {self._idle_timeout:g} s; connection closed"
                ) from None
            if not done:
                raise ConnectionResetError("the file ended before the promised length")
            sent += done
        return sent
