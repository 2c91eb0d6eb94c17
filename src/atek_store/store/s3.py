"""Publish shards to an S3-compatible object store and hand out presigned GET URLs.

Objects are ``<prefix>/<config>/<sequence>/shards-NNNN.tar`` in the bucket, each carrying its SHA-1
as user metadata (``x-amz-meta-sha1``). A re-run skips objects whose size and SHA-1 already match,
so refreshing expired URLs costs no upload. Presigned URLs use Signature V4, which S3 limits to
seven days; a longer expiry is refused up front rather than producing URLs that AWS rejects.

boto3 is imported only when S3 is used (it is in the ``store`` extra). It finds credentials the
usual way (environment, profile, instance role); ``--endpoint-url`` points it at any S3-compatible
server (MinIO, Ceph, R2, a local test server), with path-style addressing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from atek_store.errors import StoreError, UsageError
from atek_store.store.layout import StoreShard
from atek_store.store.shardcheck import ShardDigest

__all__ = ["MAX_PRESIGN_SECONDS", "S3Location", "S3Publisher"]

_log = logging.getLogger(__name__)

MAX_PRESIGN_SECONDS = 7 * 86400
_SHA1_META = "sha1"


@dataclass(frozen=True)
class S3Location:
    """A bucket and a key prefix, parsed from ``s3://bucket/prefix``."""

    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> S3Location:
        """Parse ``s3://bucket[/prefix]``.

        Raises:
            UsageError: the URL is not of that form.
        """
        scheme, _, rest = url.partition("://")
        bucket, _, prefix = rest.partition("/")
        if scheme != "s3" or not bucket:
            raise UsageError(f"--s3-url {url!r} is not of the form s3://bucket/prefix")
        return cls(bucket=bucket, prefix=prefix.strip("/"))

    def key(self, relpath: str) -> str:
        """The object key of a store-relative path."""
        return f"{self.prefix}/{relpath}" if self.prefix else relpath

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"


def _describe(error: Exception) -> str:
    response: dict[str, Any] = getattr(error, "response", None) or {}
    details = response.get("Error", {})
    if details.get("Code"):
        return f"{details['Code']}: {details.get('Message') or 'no message'}"
    return str(error)


def _status(error: Exception) -> int | None:
    response: dict[str, Any] = getattr(error, "response", None) or {}
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status is not None else None


class S3Publisher:
    """Upload shards to one S3 location and presign GET URLs for them.

    Raises:
        StoreError: boto3 is not installed.
    """

    def __init__(self, location: S3Location, *, endpoint_url: str | None = None, workers: int = 4) -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as error:  # pragma: no cover - depends on the installed extras
            raise StoreError("publishing to S3 needs boto3: pip install 'atek-store[store]'") from error
        self._location = location
        self._endpoint = endpoint_url
        self._workers = max(1, workers)
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            retries={"max_attempts": 5, "mode": "standard"},
            max_pool_connections=max(10, 4 * self._workers),
        )
        self._client = boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)

    def _where(self) -> str:
        return f"{self._location}" + (f" at {self._endpoint}" if self._endpoint else "")

    def check_bucket(self) -> None:
        """Fail early, with a clear message, when the bucket is missing or not ours.

        Raises:
            StoreError: the bucket cannot be reached.
        """
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            self._client.head_bucket(Bucket=self._location.bucket)
        except NoCredentialsError as error:
            raise StoreError(
                "no S3 credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"
            ) from error
        except ClientError as error:
            status = _status(error)
            reason = {404: "does not exist", 403: "is not accessible with these credentials"}.get(
                status or 0, f"cannot be used ({_describe(error)})"
            )
            raise StoreError(f"bucket {self._location.bucket!r} {reason} ({self._where()})") from error
        except BotoCoreError as error:
            raise StoreError(f"cannot reach the object store for {self._where()}: {error}") from error

    def upload(
        self,
        items: Sequence[tuple[StoreShard, ShardDigest]],
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Upload every shard not already present with the same size and SHA-1; return how many.

        Raises:
            StoreError: an upload failed or the stored object has the wrong size.
        """
        self.check_bucket()
        uploaded = 0
        with ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="atek-s3") as pool:
            futures = [pool.submit(self._upload_one, shard, digest) for shard, digest in items]
            for done, future in enumerate(as_completed(futures), start=1):
                uploaded += future.result()
                if progress is not None:
                    progress(done, len(futures))
        _log.info("uploaded %d of %d shards to %s", uploaded, len(items), self._where())
        return uploaded

    def _upload_one(self, shard: StoreShard, digest: ShardDigest) -> int:
        from boto3.s3.transfer import TransferConfig
        from botocore.exceptions import BotoCoreError, ClientError

        key = self._location.key(shard.relpath)
        target = f"s3://{self._location.bucket}/{key}"
        try:
            if self._matches(key, digest):
                _log.debug("%s already holds %s; not uploading it again", target, shard.path)
                return 0
            self._client.upload_file(
                str(shard.path),
                self._location.bucket,
                key,
                ExtraArgs={"Metadata": {_SHA1_META: digest.sha1}, "ContentType": "application/x-tar"},
                Config=TransferConfig(max_concurrency=4, multipart_threshold=64 << 20),
            )
            stored = self._client.head_object(Bucket=self._location.bucket, Key=key)
        except (BotoCoreError, ClientError) as error:
            raise StoreError(
                f"upload of {shard.path} to {target} failed: {_describe(error)}", path=str(shard.path)
            ) from error
        if int(stored["ContentLength"]) != digest.size:
            raise StoreError(
                f"{target} holds {stored['ContentLength']} bytes after the upload, not {digest.size}",
                path=str(shard.path),
            )
        return 1

    def _matches(self, key: str, digest: ShardDigest) -> bool:
        from botocore.exceptions import ClientError

        try:
            head = self._client.head_object(Bucket=self._location.bucket, Key=key)
        except ClientError as error:
            if _status(error) == 404:
                return False
            raise
        metadata: dict[str, str] = head.get("Metadata", {})
        return int(head["ContentLength"]) == digest.size and metadata.get(_SHA1_META) == digest.sha1

    def presign(self, relpath: str, *, expires_in: int) -> str:
        """A presigned GET URL for a store-relative path, valid ``expires_in`` seconds.

        Raises:
            UsageError: ``expires_in`` is beyond what Signature V4 allows.
        """
        if not 0 < expires_in <= MAX_PRESIGN_SECONDS:
            raise UsageError(
                f"S3 presigned URLs last at most 7 days ({MAX_PRESIGN_SECONDS} s), not {expires_in} s: "
                "use --ttl-days 7 or less"
            )
        url: str = self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self._location.bucket, "Key": self._location.key(relpath)},
            ExpiresIn=expires_in,
        )
        return url
