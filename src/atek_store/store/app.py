"""The store's HTTP application (aiohttp): GET and HEAD of files below the store root.

Each request goes through three gates, in this order: the path must be a plain store path (every
segment letters, digits, '_', '-', '.', not starting with '.'; so no '..', no hidden files, no
absolute or encoded tricks, answered 404); with a secret, the URL must carry a valid, unexpired
signature (403 with a body that says which check failed), checked before the file system is
touched so that unsigned clients learn nothing about which files exist; and the file must be a
regular file whose real path is inside the root (404). The answer then follows RFC 9110 (see
:mod:`atek_store.store.httpfile`) and the bytes go out with ``sendfile``, never through Python.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from aiohttp import hdrs, web

from atek_store.errors import SignatureError
from atek_store.store.httpfile import FileAnswer, FileFacts, RequestConditions, decide
from atek_store.store.layout import SAFE_NAME
from atek_store.store.signing import EXPIRES_PARAM, SIGNATURE_PARAM, UrlSigner

__all__ = ["make_store_app"]

_log = logging.getLogger(__name__)

_CONTENT_TYPES = {".tar": "application/x-tar", ".json": "application/json", ".yaml": "application/yaml"}


def _store_path(request: web.Request) -> str | None:
    """The store-relative path of a request, or None if it is not a plain store path."""
    path = request.path
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
    """Open a regular file inside ``root`` (after resolving links); None if there is none."""
    path = root / relpath
    try:
        if not path.resolve(strict=True).is_relative_to(root):
            return None
        file = path.open("rb")
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop
        return None
    info = os.fstat(file.fileno())
    if not stat.S_ISREG(info.st_mode):
        file.close()
        return None
    return file, info


def _text(status: int, message: str) -> web.Response:
    return web.Response(status=status, text=message + "\n", content_type="text/plain")


class _StoreHandler:
    def __init__(self, root: Path, signer: UrlSigner | None, clock: Callable[[], float]) -> None:
        self._root = root.resolve()
        self._signer = signer
        self._clock = clock

    async def handle(self, request: web.Request) -> web.StreamResponse:
        relpath = _store_path(request)
        if relpath is None:
            _log.info("refused %s %s: not a store path", request.method, request.raw_path)
            return _text(404, "not found")
        if self._signer is not None:
            try:
                self._signer.verify(
                    relpath,
                    _single(request, EXPIRES_PARAM),
                    _single(request, SIGNATURE_PARAM),
                    now=self._clock(),
                )
            except SignatureError as error:
                _log.info("refused %s /%s: %s", request.method, relpath, error.reason)
                return _text(403, f"403 Forbidden: {error}")
        loop = asyncio.get_running_loop()
        opened = await loop.run_in_executor(None, _open_regular, self._root, relpath)
        if opened is None:
            return _text(404, "not found")
        file, info = opened
        try:
            return await self._send(request, file, info, relpath)
        finally:
            file.close()

    async def _send(
        self, request: web.Request, file: IO[bytes], info: os.stat_result, relpath: str
    ) -> web.StreamResponse:
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
        if answer.status == 304:
            return web.Response(status=304, headers=validators)
        if answer.status == 412:
            return _text(412, "precondition failed: the file does not match If-Match / If-Unmodified-Since")
        if answer.status == 416:
            response = _text(416, f"range not satisfiable: the file has {facts.size} bytes")
            response.headers[hdrs.CONTENT_RANGE] = f"bytes */{facts.size}"
            return response
        return await self._stream(request, file, answer, facts, validators, relpath)

    async def _stream(
        self,
        request: web.Request,
        file: IO[bytes],
        answer: FileAnswer,
        facts: FileFacts,
        validators: dict[str, str],
        relpath: str,
    ) -> web.StreamResponse:
        response = web.StreamResponse(status=answer.status, headers=validators)
        response.content_type = _CONTENT_TYPES.get(Path(relpath).suffix, "application/octet-stream")
        response.content_length = answer.length
        if answer.status == 206:
            response.headers[hdrs.CONTENT_RANGE] = f"bytes {answer.start}-{answer.stop - 1}/{facts.size}"
        await response.prepare(request)
        if request.method != hdrs.METH_HEAD and answer.length:
            transport = request.transport
            try:
                if transport is None or transport.is_closing():
                    raise ConnectionResetError("connection closed before the body")
                # The kernel copies the file to the socket; asyncio falls back to reads where it cannot.
                await asyncio.get_running_loop().sendfile(transport, file, answer.start, answer.length)
            except ConnectionError as error:
                # A client that stops a download is routine: aiohttp sees the closed connection
                # when it finishes the response and drops it without an error.
                _log.debug("client stopped receiving /%s: %s", relpath, error)
                return response
        await response.write_eof()
        return response


def make_store_app(
    root: Path, *, signer: UrlSigner | None = None, clock: Callable[[], float] = time.time
) -> web.Application:
    """An aiohttp application serving the files of ``root`` (signed URLs only when ``signer``)."""
    app = web.Application()
    app.router.add_get("/{tail:.*}", _StoreHandler(root, signer, clock).handle)
    return app
