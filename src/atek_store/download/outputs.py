"""The files a run leaves beside the shards: the YAML lists, the report, and the space kept for them.

A disk can fill up in the middle of a download; the transfers then fail, and the YAMLs and report
that say what is verified are exactly what must still be written. So a local run first sets aside a
small reserve file in the state folder (sized for its YAMLs, report and journal) and deletes it just
before writing them: whatever filled the disk, they have room. Each output is written on its own and
a failure to write one is collected, not raised, so that it never hides the error that ended the run
and never stops the other outputs from being written.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from atek_store.download.plan import DownloadPlan
from atek_store.download.report import REPORT_FILE, DownloadReport
from atek_store.download.state import STATE_DIR, StateJournal
from atek_store.shardlists import write_shard_lists

__all__ = ["RESERVE_FILE", "OutputReserve", "SavedOutputs", "ShardLists", "save_outputs", "shard_lists"]

_log = logging.getLogger(__name__)
RESERVE_FILE = "reserve"
# Per shard: its report entry with a long failure reason, three YAML lines and a journal line,
# generously rounded up; plus a fixed part for the report's header.
_RESERVE_PER_SHARD = 2048
_RESERVE_BASE = 64 * 1024
_BLOCK = 1 << 20


@dataclass(frozen=True)
class ShardLists:
    """The entries of one kind of YAML list: ``{sequence: [relpath or URL]}`` per split."""

    train: Mapping[str, list[str]]
    validation: Mapping[str, list[str]]
    local: bool


@dataclass(frozen=True)
class SavedOutputs:
    """What :func:`save_outputs` wrote, and what it could not write (one line each, with the reason)."""

    report: DownloadReport
    problems: tuple[str, ...]
    out_of_space: bool


class OutputReserve:
    """A file in ``<output>/.atek_store/`` that holds space for the run's outputs until they are written."""

    def __init__(self, folder: Path, shard_count: int) -> None:
        """Size the reserve for ``shard_count`` shards; nothing is written until :meth:`claim`."""
        self.path = folder / STATE_DIR / RESERVE_FILE
        self.size = _RESERVE_BASE + _RESERVE_PER_SHARD * shard_count

    def existing_size(self) -> int:
        """Bytes of a reserve already on disk (a killed run's); 0 when there is none."""
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def claim(self) -> bool:
        """Write the reserve (real blocks, not a sparse file); False when the disk refused it."""
        try:
            with open(self.path, "wb") as handle:
                try:
                    os.posix_fallocate(handle.fileno(), 0, self.size)
                except (AttributeError, OSError) as error:
                    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
                        raise
                    # No fallocate here (or not on this file system): write the blocks instead.
                    left = self.size
                    while left > 0:
                        left -= handle.write(bytes(min(left, _BLOCK)))
        except OSError as error:
            _log.warning(
                "could not set aside %d bytes in %s: %s", self.size, self.path, error.strerror or error
            )
            self.release()
            return False
        return True

    def release(self) -> None:
        """Delete the reserve (also one a killed run left behind)."""
        with contextlib.suppress(OSError):
            self.path.unlink()


def shard_lists(plan: DownloadPlan, verified: Collection[str] | None = None) -> ShardLists:
    """The plan's YAML entries per split; with ``verified`` (relpaths), only those shards.

    Local lists hold relpaths, streamable lists the URLs; a sequence with no listed shard is left out.
    """

    def entries(names: tuple[str, ...]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name in names:
            shards = [s for s in plan.shards_of((name,)) if verified is None or s.relpath in verified]
            if shards:
                out[name] = [s.relpath if plan.local else s.url for s in shards]
        return out

    return ShardLists(
        train=entries(plan.selection.train), validation=entries(plan.selection.validation), local=plan.local
    )


def save_outputs(
    folder: Path,
    report: DownloadReport,
    lists: ShardLists,
    *,
    journal: StateJournal | None = None,
    reserve: OutputReserve | None = None,
) -> SavedOutputs:
    """Release the reserve, then write the YAML lists, the report and the compacted journal.

    Never raises ``OSError``: a file that cannot be written is reported in ``problems`` (the older
    file of that name, if any, is left whole, since every write is atomic).
    """
    if reserve is not None:
        reserve.release()
    failures: list[tuple[str, OSError]] = []
    try:
        write_shard_lists(folder, train=lists.train, validation=lists.validation, local=lists.local)
    except OSError as error:
        failures.append((f"the YAML lists in {folder}", error))
    try:
        report.write(folder)
    except OSError as error:
        failures.append((str(folder / REPORT_FILE), error))
    if journal is not None:
        try:
            journal.compact()
        except OSError as error:
            # The appended journal is still valid; compacting it again is for the next run.
            _log.warning("could not compact %s: %s", journal.path, error.strerror or error)
    return SavedOutputs(
        report=report,
        problems=tuple(
            f"could not write {error.filename2 or what}: {error.strerror or error}"
            for what, error in failures
        ),
        out_of_space=any(error.errno in (errno.ENOSPC, errno.EDQUOT) for _, error in failures),
    )
