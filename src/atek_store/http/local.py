"""``file://`` URLs answered the way a ranged HTTP server would (200, 206 with Content-Range, 416).

Used only where the caller allowed local files (``--allow-file-urls``), so that the same resume
and verification code serves local stores too.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from typing import BinaryIO
from urllib.parse import urlsplit
from urllib.request import url2pathname

from urllib3 import HTTPHeaderDict

from atek_store.errors import TransferError
from atek_store.http.transport import TransferResponse

__all__ = ["FileTransport"]


class _FileResponse:
    def __init__(self, handle: BinaryIO, status: int, headers: dict[str, str], length: int) -> None:
        self._handle = handle
        self._left = length
        self.status = status
        self.headers: Mapping[str, str] = HTTPHeaderDict(headers)

    def read(self, size: int) -> bytes:
        data = self._handle.read(min(size, self._left)) if self._left > 0 else b""
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._handle.close()


class FileTransport:
    """Reads ``file://`` URLs; nothing is pooled."""

    def get(self, url: str, *, offset: int = 0, end: int | None = None) -> TransferResponse:
        """Open the file: 200 for all of it, 206 with a Content-Range for a range, 416 beyond its end."""
        path = url2pathname(urlsplit(url).path)
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed by the response's close()
            size = os.fstat(handle.fileno()).st_size
        except FileNotFoundError:
            raise TransferError(f"no such file: {path}", url=url, retryable=False) from None
        except OSError as error:
            raise TransferError(
                f"cannot open {path}: {error.strerror or error}", url=url, retryable=False
            ) from None
        if offset <= 0 and end is None:
            return _FileResponse(handle, 200, {"Content-Length": str(size)}, size)
        if offset >= size:
            handle.close()
            return _FileResponse(io.BytesIO(), 416, {"Content-Range": f"bytes */{size}"}, 0)
        last = size - 1 if end is None else min(end, size) - 1
        handle.seek(offset)
        headers = {"Content-Range": f"bytes {offset}-{last}/{size}", "Content-Length": str(last - offset + 1)}
        return _FileResponse(handle, 206, headers, last - offset + 1)

    def close(self) -> None:
        """Nothing is pooled."""
