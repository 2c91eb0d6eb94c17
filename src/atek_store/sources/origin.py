"""Where a shard (and so each of its samples) comes from: the URL as given, a name safe for messages, a file.

Parsed once per shard, when it is opened, and shared by all of its samples: the redacted name is
computed here once instead of for every sample, and the keys that the original loader puts into
every sample (``__url__``, and ``__local_path__`` for shards read from disk) are built here once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from atek_store.errors import UsageError
from atek_store.http.redact import redact_url

__all__ = ["REMOTE_SCHEMES", "ShardOrigin", "is_remote"]

REMOTE_SCHEMES = ("http", "https")


def is_remote(url: str | os.PathLike[str]) -> bool:
    """Whether ``url`` is streamed over http(s) (a path object never is)."""
    return isinstance(url, str) and urlsplit(url).scheme.lower() in REMOTE_SCHEMES


@dataclass(frozen=True)
class ShardOrigin:
    """One shard's location.

    Attributes:
        url: the shard as given (a path, ``file://`` or ``http(s)://`` URL, signature included):
            what ``__url__`` says, as in the original loader.
        name: the same without credentials (no query string), for messages and errors.
        local_path: the file on disk for local shards (``__local_path__``), None for remote ones.
        sample_keys: the keys every sample of the shard carries (``__url__``, ``__local_path__``).
    """

    url: str
    name: str
    local_path: str | None
    sample_keys: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = {"__url__": self.url}
        if self.local_path is not None:
            keys["__local_path__"] = self.local_path
        object.__setattr__(self, "sample_keys", keys)

    @property
    def remote(self) -> bool:
        """Whether the shard is streamed over http(s)."""
        return is_remote(self.url)

    @classmethod
    def of_stream(cls, url: str) -> ShardOrigin:
        """A shard read from a stream the caller opened: ``__url__`` is ``url``, there is no file."""
        return cls(url=url, name=redact_url(url), local_path=None)

    @classmethod
    def of(cls, source: str | os.PathLike[str]) -> ShardOrigin:
        """Parse a shard's path or URL.

        Raises:
            UsageError: the URL has a scheme other than ``file``, ``http`` or ``https``.
        """
        if not isinstance(source, str):
            path = os.fspath(source)
            return cls(url=path, name=path, local_path=path)
        parts = urlsplit(source)
        scheme = parts.scheme.lower()
        if scheme in REMOTE_SCHEMES:
            return cls(url=source, name=redact_url(source), local_path=None)
        if scheme == "file":
            return cls(url=source, name=source, local_path=unquote(parts.path))
        if scheme and len(scheme) > 1:  # one letter is a Windows drive, not a scheme
            shown = redact_url(source)
            raise UsageError(
                f"cannot read shard {shown}: scheme {scheme!r} is not supported; use a local path, "
                "file://, http:// or https:// (download s3/gs shards first)",
                path=shown,
            )
        return cls(url=source, name=source, local_path=source)
