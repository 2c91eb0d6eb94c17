"""The shard list: URLs as given (a list, or one string with WebDataset's braces) and its fingerprint."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Sequence

from atek_store.errors import UsageError

__all__ = ["expand_urls", "urls_digest"]

_BRACES = re.compile(r"\{([^{}]*)\}")
_RANGE = re.compile(r"^(\d+)\.\.(\d+)$")


def _expand_braces(pattern: str) -> list[str]:
    match = _BRACES.search(pattern)
    if match is None:
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end() :]
    body = match.group(1)
    numeric = _RANGE.match(body)
    if numeric:
        first, last = numeric.group(1), numeric.group(2)
        width = len(first) if first.startswith("0") else 0
        step = 1 if int(last) >= int(first) else -1
        choices = [f"{i:0{width}d}" for i in range(int(first), int(last) + step, step)]
    else:
        choices = body.split(",")
    return [expanded for choice in choices for expanded in _expand_braces(head + choice + tail)]


def expand_urls(urls: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[str]:
    """The shard list as strings: a list is kept in order; a string may use WebDataset's braces.

    ``"seq/shards-{0000..0002}.tar"`` gives three URLs, ``"{a,b}/shards-0000.tar"`` two.

    Raises:
        UsageError: the list is empty or holds something other than strings and paths.
    """
    if isinstance(urls, str | os.PathLike):
        expanded = _expand_braces(os.fspath(urls))
    else:
        expanded = []
        for url in urls:
            if not isinstance(url, str | os.PathLike):
                raise UsageError(f"shard URLs must be strings or paths, got {type(url).__name__}: {url!r}")
            expanded.append(os.fspath(url))
    if not expanded:
        raise UsageError("the shard list is empty: pass at least one .tar path or URL")
    return expanded


def urls_digest(urls: Sequence[str]) -> str:
    """A short fingerprint of the shard list, stored in resume states to catch a changed list."""
    return hashlib.sha256("\n".join(urls).encode("utf-8")).hexdigest()[:16]
