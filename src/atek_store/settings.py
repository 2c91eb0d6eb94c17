"""The only module that reads the environment.

Everything configurable by environment variable is read here, once per call, and handed on as
explicit values; deeper code never touches ``os.environ``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "cache_dir",
    "env_rank_world",
    "log_level",
    "progress_disabled",
    "read_limits_spec",
    "store_secret",
]


def log_level() -> str:
    """Logging level for the CLI (``ATEK_STORE_LOG_LEVEL``, default INFO)."""
    return os.environ.get("ATEK_STORE_LOG_LEVEL", "INFO").upper()


def progress_disabled() -> bool:
    """True when progress bars are switched off (``ATEK_STORE_NO_PROGRESS=1`` or ``TQDM_DISABLE=1``)."""
    names = ("ATEK_STORE_NO_PROGRESS", "TQDM_DISABLE")
    return any(os.environ.get(name, "") not in ("", "0") for name in names)


def cache_dir() -> Path | None:
    """Default cache folder for streamed shards (``ATEK_STORE_CACHE_DIR``), or None."""
    value = os.environ.get("ATEK_STORE_CACHE_DIR")
    return Path(value) if value else None


def read_limits_spec() -> str | None:
    """Overrides of the shard readers' ceilings (``ATEK_STORE_READ_LIMITS``), or None.

    A comma-separated ``name=value`` list over :class:`atek_store.format.limits.ReadLimits`, e.g.
    ``max_member_bytes=1G,max_image_pixels=64M``; parsed (and checked) there.
    """
    value = os.environ.get("ATEK_STORE_READ_LIMITS")
    return value if value else None


def env_rank_world() -> tuple[int, int]:
    """Rank and world size from ``RANK`` / ``WORLD_SIZE`` (``0, 1`` when unset)."""
    rank = int(os.environ.get("RANK", "0"))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return rank, world


def store_secret() -> str | None:
    """The HMAC secret for signing and checking store URLs (``ATEK_STORE_SECRET``), or None.

    ``atek-store publish --sign`` and ``atek-store serve`` fall back on it when ``--secret`` is not
    given, so that the secret need not appear in the process list or the shell history.
    """
    value = os.environ.get("ATEK_STORE_SECRET")
    return value if value else None
