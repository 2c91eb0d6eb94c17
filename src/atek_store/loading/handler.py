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

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from atek_store.errors import FormatError, SkippedSampleWarning, TransferError, UsageError

__all__ = ["DATA_ERRORS", "ErrorPolicy", "HandlerSpec", "SkipCounts"]

logger = logging.getLogger(__name__)

DATA_ERRORS = (FormatError, TransferError)

HandlerSpec = str | Callable[[BaseException], bool] | None


@dataclass
class SkipCounts:
    """How much one reader skipped: bad samples, and shards abandoned part-way (or not fetched)."""

    samples: int = 0
    shards: int = 0


class ErrorPolicy:
    """Applies a handler spec to data errors; picklable (it travels into DataLoader workers)."""

    def __init__(self, handler: HandlerSpec) -> None:
        if handler is not None and not callable(handler) and handler not in ("raise", "warn", "ignore"):
            raise UsageError(
                f"handler must be None, 'raise', 'warn', 'ignore' or a callable, got {handler!r}"
            )
        self.handler = handler

    @property
    def raises(self) -> bool:
        """True when errors are raised rather than skipped."""
        return self.handler is None or self.handler == "raise"

    def skip(self, error: BaseException, *, what: str) -> bool:
        """Decide on one error: True to skip and go on, False to stop the reader. Raises to propagate.

        Args:
            error: the data error.
            what: ``"sample"`` or ``"shard"``, for the message.
        """
        handler = self.handler
        if callable(handler):
            return bool(handler(error))
        if handler == "warn":
            warnings.warn(f"skipped a bad {what}: {error}", SkippedSampleWarning, stacklevel=2)
            return True
        if handler == "ignore":
            logger.debug("skipped a bad %s: %s", what, error)
            return True
        raise error
