"""Write a file so that readers see either the old content or the complete new one, never half."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

__all__ = ["atomic_write_bytes", "atomic_write_text"]


def atomic_write_bytes(path: str | Path, data: bytes, *, fsync: bool = True, mode: int = 0o666) -> None:
    """Write ``data`` to a temporary file beside ``path``, then ``os.replace`` it into place.

    The temporary file is created with ``mode`` minus the umask (by default 0o666, like a plain
    ``open``, so the result has the permissions the user expects; 0o600 for a secret, which is
    then never readable by others, not even for a moment).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str, *, fsync: bool = True, mode: int = 0o666) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"), fsync=fsync, mode=mode)
