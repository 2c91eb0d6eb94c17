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
    │   ├── StallError                          the server sent less than the minimum rate over a window
    │   └── InsufficientDiskSpaceError          the output folder's disk is too small for what is needed
    ├── LoaderError(RuntimeError)               the data loading pipeline was misused or failed
    │   └── CacheError                          the local shard cache is unusable
    ├── AdaptorError(ValueError)                a sample does not fit a model adaptor
    ├── StoreError(RuntimeError)                publishing or serving a store failed
    │   ├── StoreLayoutError(ValueError)        the store folder is missing, empty or has unusable names
    │   └── SignatureError(PermissionError)     a signed URL is invalid or expired (server side)
    ├── PreprocessError(RuntimeError)           turning raw Aria recordings into shards failed
    │   └── RawDataError                        a raw recording lacks a file it needs or holds bad data
    └── PackageClashError(ImportError)          another distribution (projectaria-atek) owns ``atek`` too

Warnings (filter them with ``warnings.filterwarnings``)::

    AtekStoreWarning(UserWarning)
    ├── SkippedSampleWarning                    the opt-in loader handler skipped a bad sample or shard
    └── ShardSplitWarning                       fewer shards than ranks x workers: some readers sit idle
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from atek_store.download.report import DownloadReport

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
    "PackageClashError",
    "PreprocessError",
    "RawDataError",
    "ShardListError",
    "ShardSplitWarning",
    "SignatureError",
    "SkippedSampleWarning",
    "StallError",
    "StoreError",
    "StoreLayoutError",
    "TransferError",
    "TruncatedShardError",
    "UnknownMemberError",
    "UnsafeNameError",
    "UnsafeTensorError",
    "UrlsExpiredError",
    "UsageError",
]


def _rebuild(cls: type[AtekStoreError], message: str) -> AtekStoreError:
    # Restores an error without calling its __init__ (whose keyword fields differ by class); pickle
    # then puts the fields back from the instance dict.
    # The instance layout is that of the largest built-in base (OSError for TransferError).
    layout = max((base for base in cls.__mro__ if base.__module__ == "builtins"), key=_basic_size)
    error: AtekStoreError = layout.__new__(cls)  # type: ignore[call-overload]
    BaseException.__init__(error, message)
    return error


def _basic_size(cls: type) -> int:
    return int(cls.__basicsize__)


class AtekStoreError(Exception):
    """Base of every error raised by atek-store.

    ``message`` says what failed and what to do. Subclasses declare their fields as keyword
    arguments (``FormatError(..., shard=..., member=...)``); they become typed attributes and
    survive pickling, so an error raised in a DataLoader worker arrives intact.
    """

    # Fields that say *where* the error happened; ``str()`` appends the ones the message lacks, once.
    _location: ClassVar[tuple[str, ...]] = ()

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message), self.__dict__)

    def __str__(self) -> str:
        parts = []
        for name in self._location:
            value = getattr(self, name, None)
            if value and str(value) not in self.message:
                parts.append(f"{name} {value}")
        return f"{self.message} ({', '.join(parts)})" if parts else self.message


class UsageError(AtekStoreError, ValueError):
    """A command-line flag or API argument is missing or out of range.

    Attributes:
        flag: the flag or argument at fault (``--workers``, ``batch_size``), where known.
        path: the file or folder the argument named, where it is about one.
    """

    def __init__(self, message: str, *, flag: str | None = None, path: str | None = None) -> None:
        super().__init__(message)
        self.flag = flag
        self.path = path


class ConfigError(AtekStoreError, ValueError):
    """A preprocessing configuration or a catalog entry is invalid.

    Attributes:
        path: the configuration file.
        key: the offending key (dotted), where known.
    """

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.key = key


class ManifestError(AtekStoreError, ValueError):
    """The URL JSON (``*_ATEK_download_urls.json``) is malformed.

    Attributes:
        path: the JSON file.
        key: the offending key, where known.
        config: the configuration the key is under, where known.
        sequence: the sequence the key is under, where known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        key: str | None = None,
        config: str | None = None,
        sequence: str | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.key = key
        self.config = config
        self.sequence = sequence


class UnsafeNameError(ManifestError):
    """A sequence name or shard key from the URL JSON would write outside the output folder.

    Attributes:
        name: the refused name.
    """

    def __init__(self, message: str, *, name: str, path: str | None = None, key: str | None = None) -> None:
        super().__init__(message, path=path, key=key)
        self.name = name


class ShardListError(AtekStoreError, ValueError):
    """A ``local_*_tars.yaml`` / ``streamable_*_tars.yaml`` list is missing or malformed.

    Attributes:
        path: the YAML file.
        key: the offending key, where known.
    """

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.key = key


class FormatError(AtekStoreError, ValueError):
    """A shard or sample is not valid ATEK WebDataset data.

    Attributes:
        shard: the shard (path, or URL without its signature), where known.
        member: the tar member, where known.
    """

    _location = ("shard", "member")

    def __init__(self, message: str, *, shard: str | None = None, member: str | None = None) -> None:
        super().__init__(message)
        self.shard = shard
        self.member = member

    def at(self, *, shard: str | None = None, member: str | None = None) -> FormatError:
        """The same error (same class and message) with its location filled in where it was unknown."""
        located = copy.copy(self)
        located.shard = self.shard or shard
        located.member = self.member or member
        return located


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
    """Downloading or streaming a shard failed.

    Attributes:
        url: the URL, redacted (no signature, no credentials), where known.
        status: the HTTP status, when the server answered.
        retryable: whether another attempt may succeed (transport errors, 5xx, 429).
        retry_after: seconds the server asked us to wait (``Retry-After``), if it did.
        report: the download's report, on the error that ends a download.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        report: DownloadReport | None = None,
    ) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        self.report = report

    def __str__(self) -> str:
        # OSError's own __str__ would print its (errno, strerror) pair instead of our message.
        return AtekStoreError.__str__(self)


class IntegrityError(TransferError):
    """The bytes received do not have the size or sha1 that the URL JSON promises.

    Attributes:
        shard: the shard's path relative to the output folder.
        expected: the sha1 the URL JSON promises, where the error is about the sha1.
        actual: the sha1 of the bytes received.
    """

    def __init__(
        self,
        message: str,
        *,
        shard: str,
        expected: str | None = None,
        actual: str | None = None,
        url: str | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message, url=url, retryable=retryable)
        self.shard = shard
        self.expected = expected
        self.actual = actual


class UrlsExpiredError(TransferError):
    """The server refused the signed URLs (401/403): they expired. Download a fresh URL JSON."""


class StallError(TransferError):
    """The server sent less than the minimum rate over the stall window (a trickle, not a transfer).

    It is retryable, but an attempt that ends this way counts as one without progress, whatever
    bytes it delivered: a trickle must not reset the retry count.

    Attributes:
        received: bytes that arrived during the window.
        window_s: seconds spent waiting for data in the window.
        min_bytes_per_s: the rate the transfer had to keep.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        received: int,
        window_s: float,
        min_bytes_per_s: float,
    ) -> None:
        super().__init__(message, url=url, retryable=True)
        self.received = received
        self.window_s = window_s
        self.min_bytes_per_s = min_bytes_per_s


class InsufficientDiskSpaceError(TransferError):
    """The output folder's file system lacks the space the selected shards need.

    Raised before anything is fetched when the space is known to be short, and at the end of a run
    whose shards failed because the disk filled up (then ``report`` has the outcomes).

    Attributes:
        path: the output folder.
        needed: bytes still to write.
        free: bytes free on its file system.
    """

    def __init__(
        self, message: str, *, path: str, needed: int, free: int, report: DownloadReport | None = None
    ) -> None:
        super().__init__(message, report=report)
        self.path = path
        self.needed = needed
        self.free = free


class LoaderError(AtekStoreError, RuntimeError):
    """The loading pipeline was misused or failed."""


class CacheError(LoaderError):
    """The local shard cache cannot be used (not writable, limit too small...).

    Attributes:
        path: the cache folder or file.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class AdaptorError(AtekStoreError, ValueError):
    """A sample does not have what a model adaptor needs.

    Attributes:
        sample_key: the sample's ``__key__``, where known.
        key: the missing or malformed key, where known.
    """

    def __init__(self, message: str, *, sample_key: str | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.sample_key = sample_key
        self.key = key


class StoreError(AtekStoreError, RuntimeError):
    """Publishing or serving a data store failed.

    Attributes:
        path: the store folder or file at fault, where known.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class StoreLayoutError(StoreError, ValueError):
    """The store folder to publish or serve is missing, holds no shard, or has an unusable name.

    Bad input rather than a failure: the command line exits 2. ``path`` is the folder or file at fault.
    """


class SignatureError(StoreError, PermissionError):
    """A signed URL carries an invalid signature or has expired.

    Attributes:
        reason: ``"missing"``, ``"malformed"``, ``"invalid"`` or ``"expired"``.
        expired_at: the URL's expiry (Unix time), when it is the reason.
    """

    def __init__(
        self, message: str, *, reason: str, path: str | None = None, expired_at: int | None = None
    ) -> None:
        super().__init__(message, path=path)
        self.reason = reason
        self.expired_at = expired_at

    def __str__(self) -> str:
        # PermissionError (an OSError) would print its (errno, strerror) pair instead of our message.
        return AtekStoreError.__str__(self)


class PreprocessError(AtekStoreError, RuntimeError):
    """Turning a raw Aria recording into shards failed."""


class RawDataError(PreprocessError):
    """A raw recording folder lacks a file the configuration needs, or a file holds malformed data.

    Attributes:
        path: the file or folder, where known.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class PackageClashError(AtekStoreError, ImportError):
    """Two installed distributions provide the same import package (``atek``): only one may.

    Attributes:
        distribution: the other distribution (``projectaria-atek``).
        location: where the other distribution is installed, where known.
    """

    def __init__(self, message: str, *, distribution: str, location: str | None = None) -> None:
        super().__init__(message)
        self.distribution = distribution
        self.location = location


class AtekStoreWarning(UserWarning):
    """Base of every warning atek-store issues."""


class SkippedSampleWarning(AtekStoreWarning):
    """The loader's opt-in error handler skipped a bad sample (or the unreadable rest of a shard)."""


class ShardSplitWarning(AtekStoreWarning):
    """There are fewer shards than ranks x DataLoader workers, so some readers get no shard."""
