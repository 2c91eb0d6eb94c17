"""Turn exceptions into one actionable line on stderr and an exit code, in one place.

Exit codes: 0 success, 1 some work failed, 2 bad usage or bad input, 3 signed URLs expired,
130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable

from atek_store.errors import (
    AtekStoreError,
    ConfigError,
    FormatError,
    ManifestError,
    RawDataError,
    ShardListError,
    StoreLayoutError,
    UrlsExpiredError,
    UsageError,
)

__all__ = ["EXIT_EXPIRED", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "exit_code_for", "run_guarded"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_EXPIRED = 3
EXIT_INTERRUPTED = 130

_log = logging.getLogger("atek_store.cli")


def exit_code_for(error: BaseException) -> int:
    """The exit code that a given error maps to."""
    if isinstance(error, UrlsExpiredError):
        return EXIT_EXPIRED
    if isinstance(
        error,
        UsageError
        | ConfigError
        | ManifestError
        | ShardListError
        | FormatError
        | RawDataError
        | StoreLayoutError,
    ):
        return EXIT_USAGE
    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    return EXIT_FAILED


def run_guarded(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Call a subcommand; print our errors as one line instead of a traceback."""
    try:
        return func(args)
    except AtekStoreError as error:
        _log.debug("error details", exc_info=True)
        print(f"atek-store: error: {error}", file=sys.stderr)
        return exit_code_for(error)
    except FileNotFoundError as error:
        print(f"atek-store: error: no such file: {error.filename}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("atek-store: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our output went away (``atek-store configs | head``): stop quietly. Point
        # stdout at /dev/null so the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except OSError as error:
        # A file the command had to read or write failed outside our own checks (a read-only or
        # full disk, a permission): say which file and why instead of printing a traceback.
        where = f": {error.filename}" if error.filename else ""
        print(f"atek-store: error: {error.strerror or error}{where}", file=sys.stderr)
        return EXIT_FAILED
