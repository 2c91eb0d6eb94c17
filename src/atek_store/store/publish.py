"""Publish a folder of shards as a data store: check every shard, then write its URL JSON.

``ROOT/<config>/<sequence>/shards-NNNN.tar`` becomes one URL JSON for the whole dataset. Every
shard is read once (in parallel) for its SHA-1 and size and to prove it is a complete, readable
shard (every sample decodes; ``check="tar"`` checks the tar structure only); nothing is written
when any shard is bad. The URLs are one of:

- plain: ``<base-url>/<config>/<sequence>/shards-NNNN.tar``;
- signed (``sign=True``): the same with ``Expires`` and ``Signature``, accepted by
  ``atek-store serve`` started with the same secret until they expire (30 days by default);
- S3 (``s3_url``): the shards are uploaded and the URLs are presigned GETs (7 days at most).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from atek_store.errors import UsageError
from atek_store.store.layout import SAFE_NAME, discover_shards
from atek_store.store.s3 import MAX_PRESIGN_SECONDS, S3Location, S3Publisher
from atek_store.store.shardcheck import CHECKS, digest_shards
from atek_store.store.signing import MAX_TTL_DAYS, UrlSigner
from atek_store.store.urljson import PublishedShard, build_url_json, write_json_atomically

__all__ = ["PublishOptions", "PublishReport", "default_json_name", "publish_store"]

_log = logging.getLogger(__name__)

DEFAULT_SIGNED_TTL_DAYS = 30.0
DEFAULT_S3_TTL_DAYS = 7.0

# Called as progress(stage, done, total), stage being "check" or "upload".
ProgressCallback = Callable[[str, int, int], None]


def default_json_name(dataset_name: str) -> str:
    """The URL JSON's conventional name, ``<dataset>_ATEK_download_urls.json``."""
    return f"{dataset_name}_ATEK_download_urls.json"


@dataclass(frozen=True)
class PublishOptions:
    """What to publish and how; checked as a whole when created.

    Raises:
        UsageError: a combination of options makes no sense (the message names the flags).
    """

    root: Path
    dataset_name: str
    out: Path
    base_url: str | None = None
    sign: bool = False
    secret: str | None = None
    ttl_days: float | None = None
    s3_url: str | None = None
    endpoint_url: str | None = None
    release_version: str = ""
    workers: int | None = None
    check: str = "full"

    def __post_init__(self) -> None:
        if not SAFE_NAME.fullmatch(self.dataset_name):
            raise UsageError(
                f"--dataset-name {self.dataset_name!r} must use only letters, digits, '_', '-' and '.' "
                "(it becomes part of every shard's file name)"
            )
        if (self.base_url is None) == (self.s3_url is None):
            raise UsageError("give exactly one of --base-url (serve it yourself) and --s3-url (upload to S3)")
        if self.base_url is not None:
            parts = urlsplit(self.base_url)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
                raise UsageError(
                    f"--base-url {self.base_url!r} must be an http(s) URL without query, e.g. http://host:8080"
                )
        if self.s3_url is not None and self.sign:
            raise UsageError("--sign is for --base-url; S3 URLs are always presigned")
        if self.endpoint_url is not None and self.s3_url is None:
            raise UsageError("--endpoint-url only applies with --s3-url")
        if self.secret is not None and not self.sign:
            raise UsageError("a secret was given without --sign; add --sign to publish signed URLs")
        if self.sign and not self.secret:
            raise UsageError("--sign needs a secret: give --secret or set ATEK_STORE_SECRET")
        if self.ttl_days is not None:
            if not self.sign and self.s3_url is None:
                raise UsageError("--ttl-days only applies to signed (--sign) or S3 (--s3-url) URLs")
            if not 0 < self.ttl_days <= MAX_TTL_DAYS:
                # Checked before any work: a huge value would only fail after the JSON is written.
                raise UsageError(f"--ttl-days {self.ttl_days} must be more than 0 and at most {MAX_TTL_DAYS}")
        if self.s3_url is not None and self.ttl_seconds > MAX_PRESIGN_SECONDS:
            raise UsageError(
                f"--ttl-days {self.ttl_days:g} is too long for S3: presigned URLs last at most 7 days"
            )
        if self.check not in CHECKS:
            raise UsageError(f"--check {self.check!r} must be one of {', '.join(CHECKS)}")
        if self.workers is not None and self.workers < 1:
            raise UsageError(f"--workers {self.workers} must be at least 1")

    @property
    def ttl_seconds(self) -> int:
        """How long signed or presigned URLs stay valid."""
        default = DEFAULT_S3_TTL_DAYS if self.s3_url is not None else DEFAULT_SIGNED_TTL_DAYS
        return int(round((self.ttl_days if self.ttl_days is not None else default) * 86400))


@dataclass(frozen=True)
class PublishReport:
    """What a publish run did."""

    out: Path
    configs: tuple[str, ...]
    sequences: int
    shards: int
    total_bytes: int
    expires_at: int | None
    uploaded: int


def publish_store(
    root: Path | str,
    *,
    dataset_name: str,
    out: Path | str | None = None,
    base_url: str | None = None,
    sign: bool = False,
    secret: str | None = None,
    ttl_days: float | None = None,
    s3_url: str | None = None,
    endpoint_url: str | None = None,
    release_version: str = "",
    workers: int | None = None,
    check: str = "full",
    progress: ProgressCallback | None = None,
    now: float | None = None,
) -> PublishReport:
    """Check every shard under ``root`` and write the dataset's URL JSON.

    Args:
        root: the store folder, ``<root>/<config>/<sequence>/shards-NNNN.tar``.
        dataset_name: goes into ``raw_dataset_name`` and every ``filename``.
        out: where to write the JSON (default ``./<dataset>_ATEK_download_urls.json``).
        base_url: where ``root`` will be served; exclusive with ``s3_url``.
        sign: sign the URLs with ``secret`` (for ``atek-store serve --secret``).
        secret: the HMAC secret shared with the server.
        ttl_days: how long signed URLs stay valid (default 30 days; 7 days for S3).
        s3_url: upload the shards to ``s3://bucket/prefix`` and publish presigned URLs.
        endpoint_url: an S3-compatible endpoint instead of AWS.
        release_version: goes into ``raw_dataset_release_version``.
        workers: threads for hashing and uploading (default: a few per CPU).
        check: "full" decodes every sample of every shard; "tar" checks the tar structure and
            sample grouping only (much faster on very large stores).
        progress: called as ``progress(stage, done, total)`` with stage "check" or "upload".
        now: the time the expiry counts from (default: the current time).

    Raises:
        UsageError: the options do not fit together.
        StoreError: the root holds no shards, a name is unusable, S3 fails or the JSON cannot be written.
        FormatError: one or more shards are not complete, readable shards (all of them are named).
    """
    options = PublishOptions(
        root=Path(root),
        dataset_name=dataset_name,
        out=Path(out) if out is not None else Path(default_json_name(dataset_name)),
        base_url=base_url,
        sign=sign,
        secret=secret,
        ttl_days=ttl_days,
        s3_url=s3_url,
        endpoint_url=endpoint_url,
        release_version=release_version,
        workers=workers,
        check=check,
    )
    shards = discover_shards(options.root)
    total = len(shards)
    _log.info("checking %d shards under %s", total, options.root)
    checked = 0

    def on_digest(_: object) -> None:
        nonlocal checked
        checked += 1
        if progress is not None:
            progress("check", checked, total)

    digests = digest_shards(
        [shard.path for shard in shards], check=options.check, workers=options.workers, progress=on_digest
    )
    started = time.time() if now is None else now
    expires_at: int | None = None
    uploaded = 0
    if options.s3_url is not None:
        publisher = S3Publisher(
            S3Location.parse(options.s3_url), endpoint_url=options.endpoint_url, workers=options.workers or 4
        )
        uploaded = publisher.upload(
            list(zip(shards, digests, strict=True)),
            progress=(lambda done, n: progress("upload", done, n)) if progress else None,
        )
        urls = [publisher.presign(shard.relpath, expires_in=options.ttl_seconds) for shard in shards]
        expires_at = int(started) + options.ttl_seconds
    elif options.sign:
        signer = UrlSigner(options.secret or "")
        expires_at = int(started) + options.ttl_seconds
        urls = [signer.sign_url(options.base_url or "", shard.relpath, expires_at) for shard in shards]
    else:
        urls = [f"{(options.base_url or '').rstrip('/')}/{shard.relpath}" for shard in shards]
    published = [
        PublishedShard(shard=shard, digest=digest, url=url)
        for shard, digest, url in zip(shards, digests, urls, strict=True)
    ]
    document = build_url_json(
        dataset_name=options.dataset_name, release_version=options.release_version, published=published
    )
    write_json_atomically(options.out, document)
    configs = tuple(sorted({shard.config for shard in shards}))
    report = PublishReport(
        out=options.out,
        configs=configs,
        sequences=len({(shard.config, shard.sequence) for shard in shards}),
        shards=total,
        total_bytes=sum(digest.size for digest in digests),
        expires_at=expires_at,
        uploaded=uploaded,
    )
    _log.info("wrote %s: %d shards in %d sequences", options.out, report.shards, report.sequences)
    return report
