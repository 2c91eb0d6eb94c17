"""The whole exception tree of atek-store, in one module.

Every error we raise derives from :class:`AtekStoreError` and also from the matching built-in, so
callers can catch either. Errors carry the file, key, URL or member they are about as attributes,
and their message says what to do. They pickle cleanly (they cross DataLoader worker boundaries).

::

    AtekStoreError
    ├── UsageError(ValueError)                  a flag or argument is wrong
    ├── ConfigError(ValueError)                 a preprocessing config or catalog entry is wrong
    ├── ManifestError(ValueError)               the URL JSON is malformed
    │   └── UnsafeNameError                     a sequence name / shard key would escape the output folder
    ├── ShardListError(ValueError)              a local_* / streamable_* YAML is malformed or missing
    ├── FormatError(ValueError)                 a shard or sample is not valid ATEK WebDataset data
    │   ├── TruncatedShardError                 the tar ends in the middle of a header or member
    │   ├── UnknownMemberError                  a member has an extension or key we do not know
    │   ├── UnsafeTensorError                   a .pth member holds more than plain tensors (code)
    │   ├── ImageDecodeError                    a JPEG member does not decode
    │   └── IncompleteSampleError               a sample lacks parts it needs (key, frames, lengths)
    ├── TransferError(OSError)                  downloading a shard failed
    │   ├── IntegrityError                      size or sha1 of the received bytes is wrong
    │   ├── UrlsExpiredError                    the signed URLs were refused (401/403): fetch a fresh JSON
    │   └── InsufficientDiskSpaceError          the output folder's disk is too small for what is needed
    ├── LoaderError(RuntimeError)               the data loading pipeline was misused or failed
    │   └── CacheError                          the local shard cache is unusable
    ├── AdaptorError(ValueError)                a sample does not fit a model adaptor
    ├── StoreError(RuntimeError)                publishing or serving a store failed
    │   └── SignatureError(PermissionError)     a signed URL is invalid or expired (server side)
    └── PreprocessError(RuntimeError)           turning raw Aria recordings into shards failed
        └── RawDataError                        a raw recording lacks a file it needs or holds bad data

Warnings (filter them with ``warnings.filterwarnings``)::

    AtekStoreWarning(UserWarning)
    ├── SkippedSampleWarning                    the opt-in loader handler skipped a bad sample or shard
    └── ShardSplitWarning                       fewer shards than ranks x workers: some readers sit idle
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AdaptorError",
    "AtekStoreError",
    "AtekStoreWarning",
    "CacheError",
    "ConfigError",
    "FormatError",
    "ImageDecodeError",
    "IncompleteSampleError",
    "InsufficientDiskSpaceError",
    "IntegrityError",
    "LoaderError",
    "ManifestError",
    "PreprocessError",
    "RawDataError",
    "ShardListError",
    "ShardSplitWarning",
    "SignatureError",
    "SkippedSampleWarning",
    "StoreError",
    "TransferError",
    "TruncatedShardError",
    "UnknownMemberError",
    "UnsafeNameError",
    "UnsafeTensorError",
    "UrlsExpiredError",
    "UsageError",
]


def _rebuild(cls: type[AtekStoreError], message: str, fields: dict[str, Any]) -> AtekStoreError:
    return cls(message, **fields)


class AtekStoreError(Exception):
    """Base of every error raised by atek-store.

    Keyword fields given to the constructor become attributes (``err.shard``, ``err.member``, ...)
    and survive pickling, so an error raised in a DataLoader worker arrives intact.
    """

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields
        for name, value in fields.items():
            setattr(self, name, value)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.fields))

    def __str__(self) -> str:
        return self.message


class UsageError(AtekStoreError, ValueError):
    """A command-line flag or API argument is missing or out of range."""


class ConfigError(AtekStoreError, ValueError):
    """A preprocessing configuration or a catalog entry is invalid."""


class ManifestError(AtekStoreError, ValueError):
    """The URL JSON (``*_ATEK_download_urls.json``) is malformed."""


class UnsafeNameError(ManifestError):
    """A sequence name or shard key from the URL JSON would write outside the output folder."""


class ShardListError(AtekStoreError, ValueError):
    """A ``local_*_tars.yaml`` / ``streamable_*_tars.yaml`` list is missing or malformed."""


class FormatError(AtekStoreError, ValueError):
    """A shard or sample is not valid ATEK WebDataset data.

    Carries ``shard`` (path or URL) and ``member`` (tar member name) where known.
    """

    def __init__(
        self, message: str, *, shard: str | None = None, member: str | None = None, **fields: Any
    ) -> None:
        where = ", ".join(
            part for part in (f"shard {shard}" if shard else "", f"member {member}" if member else "") if part
        )
        full = f"{message} ({where})" if where and where not in message else message
        super().__init__(full, shard=shard, member=member, **fields)

    def __reduce__(self) -> tuple[Any, ...]:
        # The message already has the location appended; rebuild without appending it twice.
        return (_rebuild, (type(self), self.message, self.fields))


class TruncatedShardError(FormatError):
    """A tar shard ends in the middle of a header or a member (an interrupted download?)."""


class UnknownMemberError(FormatError):
    """A tar member has an extension or key that the ATEK format does not define."""


class UnsafeTensorError(FormatError):
    """A ``.pth`` member holds something other than plain tensors; it was refused unexecuted."""


class ImageDecodeError(FormatError):
    """A JPEG member does not decode."""


class IncompleteSampleError(FormatError):
    """A sample lacks a part it needs (a ``__key__``, image frames, semidense lengths...)."""


class TransferError(AtekStoreError, OSError):
    """Downloading a shard failed (after the allowed retries)."""


class IntegrityError(TransferError):
    """The bytes received do not have the size or sha1 that the URL JSON promises."""


class UrlsExpiredError(TransferError):
    """The server refused the signed URLs (401/403): they expired. Download a fresh URL JSON."""


class InsufficientDiskSpaceError(TransferError):
    """The output folder's file system lacks the space the selected shards need."""


class LoaderError(AtekStoreError, RuntimeError):
    """The loading pipeline was misused or failed."""


class CacheError(LoaderError):
    """The local shard cache cannot be used (not writable, limit too small...)."""


class AdaptorError(AtekStoreError, ValueError):
    """A sample does not have what a model adaptor needs."""


class StoreError(AtekStoreError, RuntimeError):
    """Publishing or serving a data store failed."""


class SignatureError(StoreError, PermissionError):
    """A signed URL carries an invalid signature or has expired."""


class PreprocessError(AtekStoreError, RuntimeError):
    """Turning a raw Aria recording into shards failed."""


class RawDataError(PreprocessError):
    """A raw recording folder lacks a file the configuration needs, or a file holds malformed data.

    Carries ``path`` (the file or folder) where known.
    """


class AtekStoreWarning(UserWarning):
    """Base of every warning atek-store issues."""


class SkippedSampleWarning(AtekStoreWarning):
    """The loader's opt-in error handler skipped a bad sample (or the unreadable rest of a shard)."""


class ShardSplitWarning(AtekStoreWarning):
    """There are fewer shards than ranks x DataLoader workers, so some readers get no shard."""
