"""What the loader does with a bad sample or shard: raise (default), or skip it and count it.

Only data errors are handled: :class:`FormatError` (a corrupt, truncated or undecodable shard or
member) and :class:`TransferError` (a shard that could not be fetched). Bugs in a transform
function always propagate.

``handler`` may be:

- ``None`` or ``"raise"``: raise the error, which names the shard and member (the default).
- ``"warn"``: skip the sample (or the unreadable rest of the shard), issue a
  :class:`SkippedSampleWarning`, count it.
- ``"ignore"``: skip and count, without a warning.
- a callable ``handler(error) -> bool`` such as ``webdataset.warn_and_continue``: true skips and
  counts, false stops this reader's epoch, and raising propagates.
"""

from __future__ import annotations

import enum
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from atek_store.errors import FormatError, SkippedSampleWarning, TransferError, UsageError

__all__ = ["DATA_ERRORS", "ErrorPolicy", "HandlerMode", "HandlerSpec", "SkipCounts"]

logger = logging.getLogger(__name__)

DATA_ERRORS = (FormatError, TransferError)

HandlerSpec = str | Callable[[BaseException], bool] | None


class HandlerMode(str, enum.Enum):
    """The built-in ways of dealing with a data error (a callable handler is :attr:`CALLABLE`)."""

    RAISE = "raise"
    WARN = "warn"
    IGNORE = "ignore"
    CALLABLE = "callable"


@dataclass(frozen=True)
class SkipCounts:
    """How much was skipped: bad samples, and shards abandoned part-way (or not fetched)."""

    samples: int = 0
    shards: int = 0

    def __add__(self, other: SkipCounts) -> SkipCounts:
        return SkipCounts(self.samples + other.samples, self.shards + other.shards)


@dataclass(frozen=True)
class ErrorPolicy:
    """Applies a handler spec to data errors; picklable (it travels into DataLoader workers)."""

    handler: HandlerSpec = None
    mode: HandlerMode = field(init=False)

    def __post_init__(self) -> None:
        handler = self.handler
        if callable(handler):
            mode = HandlerMode.CALLABLE
        elif handler is None:
            mode = HandlerMode.RAISE
        elif isinstance(handler, str) and handler in ("raise", "warn", "ignore"):
            mode = HandlerMode(handler)
        else:
            raise UsageError(
                f"handler must be None, 'raise', 'warn', 'ignore' or a callable, got {handler!r}",
                flag="handler",
            )
        object.__setattr__(self, "mode", mode)

    @property
    def raises(self) -> bool:
        """True when errors are raised rather than skipped."""
        return self.mode is HandlerMode.RAISE

    def skip(self, error: BaseException, *, what: str) -> bool:
        """Decide on one error: True to skip and go on, False to stop the reader. Raises to propagate.

        Args:
            error: the data error.
            what: ``"sample"`` or ``"shard"``, for the message.
        """
        if callable(self.handler):
            return bool(self.handler(error))
        if self.mode is HandlerMode.WARN:
            warnings.warn(f"skipped a bad {what}: {error}", SkippedSampleWarning, stacklevel=2)
            return True
        if self.mode is HandlerMode.IGNORE:
            logger.debug("skipped a bad %s: %s", what, error)
            return True
        raise error
