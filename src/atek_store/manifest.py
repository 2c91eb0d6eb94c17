"""The URL JSON (``*_ATEK_download_urls.json``) parsed into frozen dataclasses.

The file comes from a download and is treated as hostile: every sequence name and shard key is
checked before anything is written, because both become path components under the output folder
(the original wrote outside it for a name such as ``../x``). Only ``http``/``https`` URLs are
accepted unless the caller allows ``file://`` explicitly. Deeper code trusts what this module
returns.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import parse_qs, urlsplit

from atek_store.errors import ManifestError, UnsafeNameError, UsageError
from atek_store.http.redact import redact_url
from atek_store.untrusted import MAX_INPUT_BYTES, brief, brief_names, read_json_file

__all__ = [
    "CONFIGS_KEY",
    "RESERVED_NAMES",
    "URLS_KEY",
    "ConfigManifest",
    "SequenceManifest",
    "ShardEntry",
    "UrlManifest",
    "check_safe_name",
    "load_manifest",
    "parse_manifest",
    "shard_file_name",
]

CONFIGS_KEY = "atek_data_for_all_configs"
URLS_KEY = "wds_file_urls"
_SHA1 = re.compile(r"^[0-9a-fA-F]{40}$")
_HTTP_SCHEMES = frozenset({"http", "https"})
# The longest file name most file systems accept (NAME_MAX), in bytes of UTF-8.
_MAX_NAME_BYTES = 255
# Sizes beyond what a file offset can hold are lies, not shards.
_MAX_SHARD_BYTES = (1 << 63) - 1
# Names the downloader itself writes into the output folder: a sequence must not shadow them.
RESERVED_NAMES = frozenset(
    {
        ".atek_store",
        "download_report.json",
        *(
            f"{kind}_{split}_tars.yaml"
            for kind in ("local", "streamable")
            for split in ("all", "train", "validation")
        ),
    }
)


@dataclass(frozen=True)
class ShardEntry:
    """One shard of one sequence, as promised by the URL JSON."""

    sequence: str
    key: str
    file_name: str
    sha1: str
    size: int
    url: str
    remote_file_name: str | None = None

    @property
    def relpath(self) -> str:
        """The shard's path relative to the output folder (``<sequence>/<file name>``)."""
        return f"{self.sequence}/{self.file_name}"


@dataclass(frozen=True)
class SequenceManifest:
    """The shards of one sequence, in the JSON's order."""

    name: str
    shards: tuple[ShardEntry, ...]

    @property
    def total_bytes(self) -> int:
        """Sum of the shards' ``file_size_bytes``."""
        return sum(shard.size for shard in self.shards)


@dataclass(frozen=True)
class ConfigManifest:
    """One preprocessing configuration's sequences (``cubercnn``, ``efm``, ...)."""

    name: str
    sequences: Mapping[str, SequenceManifest]

    @property
    def shard_count(self) -> int:
        """Number of shards over all sequences."""
        return sum(len(seq.shards) for seq in self.sequences.values())

    @property
    def total_bytes(self) -> int:
        """Sum of the shard sizes over all sequences."""
        return sum(seq.total_bytes for seq in self.sequences.values())


@dataclass(frozen=True)
class UrlManifest:
    """A whole URL JSON: every config of one dataset."""

    source: str
    sha256: str
    dataset_name: str | None
    release_version: str | None
    configs: Mapping[str, ConfigManifest]
    modified_at: float | None = None

    def config(self, name: str | None) -> ConfigManifest:
        """The config called ``name``; an unknown or missing name lists the available ones."""
        available = brief_names(sorted(self.configs), 20) or "(none)"
        if not name:
            raise UsageError(
                f"--config-name is required; {self.source} offers: {available}", flag="--config-name"
            )
        if name not in self.configs:
            raise UsageError(
                f"config {brief(name)} is not in {self.source}; available configs: {available}",
                flag="--config-name",
            )
        return self.configs[name]

    def age_days(self, now: float | None = None) -> float | None:
        """Days since the JSON file was last modified (None when unknown)."""
        if self.modified_at is None:
            return None
        return ((time.time() if now is None else now) - self.modified_at) / 86400.0

    def earliest_url_expiry(self) -> float | None:
        """Earliest ``Expires=<epoch seconds>`` found in the signed URLs' query strings, if any."""
        earliest: float | None = None
        for config in self.configs.values():
            for seq in config.sequences.values():
                for shard in seq.shards:
                    values = parse_qs(urlsplit(shard.url).query).get("Expires")
                    # ASCII digits only: str.isdigit() also accepts '²', which float() refuses.
                    if values and values[0].isascii() and values[0].isdigit():
                        stamp = float(values[0])
                        earliest = stamp if earliest is None else min(earliest, stamp)
        return earliest


def check_safe_name(name: object, *, what: str, where: str) -> str:
    r"""Return ``name`` if it is one plain path component; otherwise raise :class:`UnsafeNameError`.

    Refused: non-strings, empty names, ``.``/``..`` or anything containing ``..``, path separators
    (``/`` and ``\``), absolute or drive-qualified names, NUL and other control characters, and the
    names of the files the downloader writes itself.
    """
    if not isinstance(name, str) or not name:
        raise UnsafeNameError(
            f"{where}: {what} must be a non-empty string, got {brief(name)}", name=brief(name)
        )
    reason = None
    if "\x00" in name or any(ord(ch) < 32 for ch in name):
        reason = "contains a NUL or control character"
    elif "/" in name or "\\" in name:
        reason = "contains a path separator"
    elif ".." in name or name == ".":
        reason = "contains '..' or is '.'"
    elif PurePosixPath(name).is_absolute() or PureWindowsPath(name).drive:
        reason = "is an absolute path"
    elif name in RESERVED_NAMES:
        reason = "is a file name the downloader writes itself"
    elif not _encodable(name):
        reason = "is not valid Unicode (a lone surrogate), so it cannot be a file name"
    elif len(name.encode("utf-8")) > _MAX_NAME_BYTES:
        reason = f"is longer than the {_MAX_NAME_BYTES} bytes a file name may have"
    if reason:
        raise UnsafeNameError(
            f"{where}: {what} {brief(name)} {reason}; refusing to use it as a path under the output folder",
            name=brief(name),
        )
    return name


def _encodable(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shard_file_name(key: str) -> str:
    """Local file name of a shard key: the trailing ``_tar`` becomes ``.tar`` (``shards-0000_tar``).

    The original replaced *every* ``_tar`` (``my_tarball_tar`` became ``my.tarball.tar``); only the
    suffix is meant, and for the store's real keys both rules agree.
    """
    return key[: -len("_tar")] + ".tar" if key.endswith("_tar") else key


def _check_url(url: object, *, where: str, allow_file_urls: bool) -> str:
    if not isinstance(url, str) or not url:
        raise ManifestError(
            f"{where}: 'download_url' must be a non-empty string, got {brief(url)}", key="download_url"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is what raises for ``http://h:99999``
    except ValueError as error:
        raise ManifestError(
            f"{where}: 'download_url' {brief(redact_url(url))} is not a valid URL ({error}); "
            "get a fresh JSON",
            key="download_url",
        ) from None
    scheme = parts.scheme.lower()
    if scheme in _HTTP_SCHEMES:
        if not parts.hostname:
            raise ManifestError(
                f"{where}: 'download_url' {brief(redact_url(url))} names no host", key="download_url"
            )
        return url
    if scheme == "file":
        if allow_file_urls:
            return url
        raise ManifestError(
            f"{where}: file:// URL {brief(redact_url(url))} refused; pass --allow-file-urls to read "
            "shards from local paths",
            key="download_url",
        )
    raise ManifestError(
        f"{where}: 'download_url' must be an http or https URL, got {brief(redact_url(url))}",
        key="download_url",
    )


def _parse_shard(sequence: str, key: str, raw: object, *, where: str, allow_file_urls: bool) -> ShardEntry:
    if not isinstance(raw, Mapping):
        raise ManifestError(
            f"{where}: expected an object with sha1sum/file_size_bytes/download_url, got {brief(raw)}"
        )
    missing = [field for field in ("sha1sum", "file_size_bytes", "download_url") if field not in raw]
    if missing:
        raise ManifestError(f"{where}: missing {', '.join(missing)}", key=missing[0])
    sha1 = raw["sha1sum"]
    if not isinstance(sha1, str) or not _SHA1.match(sha1):
        raise ManifestError(f"{where}: 'sha1sum' must be 40 hex digits, got {brief(sha1)}", key="sha1sum")
    size = raw["file_size_bytes"]
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= _MAX_SHARD_BYTES:
        raise ManifestError(
            f"{where}: 'file_size_bytes' must be a non-negative integer below 2**63, got {brief(size)}",
            key="file_size_bytes",
        )
    url = _check_url(raw["download_url"], where=where, allow_file_urls=allow_file_urls)
    file_name = check_safe_name(shard_file_name(key), what="shard file name", where=where)
    if file_name.endswith(".part"):
        raise UnsafeNameError(
            f"{where}: shard file name {brief(file_name)} ends in .part, which resuming uses", name=brief(key)
        )
    remote = raw.get("filename")
    return ShardEntry(
        sequence=sequence,
        key=key,
        file_name=file_name,
        sha1=sha1.lower(),
        size=size,
        url=url,
        remote_file_name=remote if isinstance(remote, str) else None,
    )


def _parse_config(name: str, raw: object, *, source: str, allow_file_urls: bool) -> ConfigManifest:
    where = f"{source}: config {brief(name)}"
    if not isinstance(raw, Mapping) or URLS_KEY not in raw:
        raise ManifestError(f"{where}: expected an object with a {URLS_KEY!r} key", config=name, key=URLS_KEY)
    urls = raw[URLS_KEY]
    if not isinstance(urls, Mapping):
        raise ManifestError(f"{where}: {URLS_KEY!r} must map sequence names to shards", config=name)
    sequences: dict[str, SequenceManifest] = {}
    for seq_name, shards_raw in urls.items():
        seq_where = f"{where}, sequence {brief(seq_name)}"
        check_safe_name(seq_name, what="sequence name", where=f"{where}")
        if not isinstance(shards_raw, Mapping):
            raise ManifestError(
                f"{seq_where}: expected an object of shard keys", config=name, sequence=seq_name
            )
        shards: list[ShardEntry] = []
        seen: dict[str, str] = {}
        for key, shard_raw in shards_raw.items():
            shard_where = f"{seq_where}, shard {brief(key)}"
            check_safe_name(key, what="shard key", where=seq_where)
            shard = _parse_shard(seq_name, key, shard_raw, where=shard_where, allow_file_urls=allow_file_urls)
            if shard.file_name in seen:
                raise ManifestError(
                    f"{shard_where}: maps to file {shard.file_name!r} "
                    f"like shard {brief(seen[shard.file_name])}",
                    config=name,
                    sequence=seq_name,
                    key=key,
                )
            seen[shard.file_name] = key
            shards.append(shard)
        sequences[seq_name] = SequenceManifest(name=seq_name, shards=tuple(shards))
    return ConfigManifest(name=name, sequences=sequences)


def parse_manifest(
    data: object,
    *,
    source: str = "<URL JSON>",
    sha256: str = "",
    modified_at: float | None = None,
    allow_file_urls: bool = False,
) -> UrlManifest:
    """Validate an already decoded URL JSON and build the dataclasses.

    Raises:
        ManifestError: the structure is wrong; the message names the config / sequence / shard key.
        UnsafeNameError: a sequence name or shard key is not a plain path component.
    """
    if not isinstance(data, Mapping):
        raise ManifestError(f"{source}: expected a JSON object at the top level, got {type(data).__name__}")
    configs_raw = data.get(CONFIGS_KEY)
    if not isinstance(configs_raw, Mapping):
        raise ManifestError(f"{source}: missing or invalid {CONFIGS_KEY!r} object", key=CONFIGS_KEY)
    configs = {
        str(name): _parse_config(str(name), raw, source=source, allow_file_urls=allow_file_urls)
        for name, raw in configs_raw.items()
    }
    return UrlManifest(
        source=source,
        sha256=sha256,
        dataset_name=_optional_str(data.get("raw_dataset_name")),
        release_version=_optional_str(data.get("raw_dataset_release_version")),
        configs=configs,
        modified_at=modified_at,
    )


def load_manifest(
    path: str | Path, *, allow_file_urls: bool = False, max_bytes: int = MAX_INPUT_BYTES
) -> UrlManifest:
    """Read and validate a URL JSON file (bounded: see :mod:`atek_store.untrusted`).

    Raises:
        ManifestError: the file is missing, too large, not JSON, or malformed (the message says where).
    """
    path = Path(path)
    document = read_json_file(
        path,
        what="URL JSON",
        fail=lambda message: ManifestError(message, path=str(path)),
        max_bytes=max_bytes,
    )
    return parse_manifest(
        document.data,
        source=str(path),
        sha256=document.sha256,
        modified_at=document.modified_at,
        allow_file_urls=allow_file_urls,
    )


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) else None
