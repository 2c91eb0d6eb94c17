"""``download_atek_wds_sequences``: the original's downloader, parallel, resumable, verified and safe.

Same arguments in the same order and same defaults as the original, same sequences for the same
seed, same folder layout and YAML lists; on top: shard-level parallel transfers, Range resume, sha1
checked before a file becomes visible, state records so re-runs do not re-read verified files, a
disk-space check, a machine-readable report, and errors instead of silent partial results.

The arguments become one :class:`~atek_store.download.request.DownloadRequest` (validated there),
and :func:`run_download` takes that record; the command line builds the same record.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path

import filelock

from atek_store._version import __version__
from atek_store.download.fetch import drop_stale_part, kept_bytes
from atek_store.download.outputs import OutputReserve, SavedOutputs, save_outputs, shard_lists
from atek_store.download.plan import (
    DownloadPlan,
    check_disk_space,
    free_bytes,
    nearest_existing,
    plan_download,
    warn_if_stale,
)
from atek_store.download.progress import ProgressSink
from atek_store.download.report import REPORT_FILE, DownloadReport, ShardOutcome, ShardStatus, format_bytes
from atek_store.download.request import DownloadRequest, as_path
from atek_store.download.scheduler import RetryPolicy, StallRule, TransferOptions, run_transfers
from atek_store.download.state import STATE_DIR, StateJournal
from atek_store.errors import InsufficientDiskSpaceError, TransferError, UrlsExpiredError, UsageError
from atek_store.http import Transport, make_transport
from atek_store.manifest import ShardEntry

__all__ = ["download_atek_wds_sequences", "make_transport", "run_download"]

_log = logging.getLogger(__name__)


def download_atek_wds_sequences(
    config_name: str | None,
    input_json_path: str | os.PathLike[str],
    train_val_split_ratio: float,
    random_seed: int,
    output_folder_path: str | os.PathLike[str],
    max_num_sequences: int | None = None,
    download_wds_to_local: bool = False,
    train_val_split_json_path: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    *,
    stable_selection: bool = False,
    allow_file_urls: bool = False,
    workers: int = 8,
    retries: int = 5,
    timeout: float = 30.0,
    progress: ProgressSink | None = None,
    transport: Transport | None = None,
    retry_policy: RetryPolicy | None = None,
) -> DownloadReport:
    """Select sequences from a URL JSON and download them (or write streamable lists).

    The original's nine parameters, in its order; ours are keyword-only. With
    ``download_wds_to_local`` the shards land in ``<output>/<sequence>/shards-NNNN.tar`` and
    ``local_{all,train,validation}_tars.yaml`` list the verified ones; without it,
    ``streamable_*_tars.yaml`` list the URLs. ``download_report.json`` is written beside them.

    Returns:
        The report, when every selected shard is verified on disk (or listed).

    Raises:
        ManifestError, UsageError: bad input; nothing was written.
        InsufficientDiskSpaceError: the output file system is too small (before anything is fetched),
            or it filled up during the run (``error.report`` has the outcomes).
        UrlsExpiredError: the server refused the signed URLs; ``error.report`` has the outcomes.
        TransferError: some shards failed, or the YAMLs / report could not be written;
            ``error.report`` has the outcomes and reasons.
    """
    request = DownloadRequest(
        config_name=config_name,
        input_json_path=as_path(input_json_path, "--input-json-path"),
        output_folder_path=as_path(output_folder_path, "--output-folder-path"),
        train_val_split_ratio=train_val_split_ratio,
        random_seed=random_seed,
        max_num_sequences=max_num_sequences,
        download_wds_to_local=download_wds_to_local,
        train_val_split_json_path=(
            None
            if train_val_split_json_path is None
            else as_path(train_val_split_json_path, "--train-val-split-json-path")
        ),
        overwrite=overwrite,
        stable_selection=stable_selection,
        allow_file_urls=allow_file_urls,
        workers=workers,
        retries=retries,
        timeout=timeout,
    )
    return run_download(request, progress=progress, transport=transport, retry_policy=retry_policy)


def run_download(
    request: DownloadRequest,
    *,
    progress: ProgressSink | None = None,
    transport: Transport | None = None,
    retry_policy: RetryPolicy | None = None,
) -> DownloadReport:
    """Carry out a download request; arguments, results and errors as :func:`download_atek_wds_sequences`.

    ``transport`` and ``retry_policy`` replace the defaults built from the request (tests, custom
    stores); a given transport is not closed.
    """
    started = time.time()
    plan = plan_download(request)
    warn_if_stale(plan.manifest)
    folder = plan.output_folder
    _check_writable(folder)
    if not plan.local:
        return _streamable(plan, started)
    reserve = OutputReserve(folder, len(plan.shards))
    remaining = plan.remaining()
    # A reserve a killed run left behind is rewritten in place: its space counts as free.
    check_disk_space(folder, remaining.bytes + reserve.size - reserve.existing_size())
    options = TransferOptions(
        workers=request.workers,
        retry=retry_policy or RetryPolicy(retries=request.retries),
        # A body slower than 1 KiB/s over one --timeout of waiting fails its attempt (a trickle).
        stall=StallRule(window_s=request.timeout),
        overwrite=request.overwrite,
    )
    lock = _lock_output_folder(folder)
    own_transport = transport is None
    try:
        reserve.claim()
        if remaining.nothing_to_do:
            _log.info(
                "nothing to fetch: all %d selected shards in %s are already verified",
                len(plan.shards),
                folder,
            )
            for shard in plan.shards:
                drop_stale_part(folder / shard.relpath)
            present = [ShardOutcome.of(shard, ShardStatus.PRESENT) for shard in plan.shards]
            return _finish(plan, present, started, reserve=reserve)
        _log.info(
            "%d of %d shards to fetch into %s (%s); %d already verified, %d to re-check",
            remaining.to_fetch,
            len(plan.shards),
            folder,
            format_bytes(remaining.bytes),
            remaining.proven,
            remaining.to_check,
        )
        transport = transport or make_transport(
            max_connections=request.workers, timeout=request.timeout, allow_file_urls=request.allow_file_urls
        )
        return _download(plan, options, transport, progress, started, reserve)
    finally:
        reserve.release()
        if own_transport and transport is not None:
            transport.close()
        lock.release()


def _lock_output_folder(folder: Path) -> filelock.BaseFileLock:
    """Create the folder and its state folder and take the lock that keeps a second run out.

    Raises:
        UsageError: the folder cannot be written (read-only, permission denied), or another run
            holds the lock.
    """
    try:
        (folder / STATE_DIR).mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(folder / STATE_DIR / "lock"))
        lock.acquire(timeout=0)
    except filelock.Timeout:
        raise UsageError(
            f"another download is writing into {folder}; wait for it to finish",
            flag="--output-folder-path",
            path=str(folder),
        ) from None
    except OSError as error:
        raise _unwritable(folder, error) from None
    return lock


def _check_writable(folder: Path) -> None:
    """Refuse a folder this process cannot create or write in, before anything is counted or written.

    Raises:
        UsageError: naming the folder and why (read-only file system, permission denied).
    """
    probe = nearest_existing(folder)
    if os.access(probe, os.W_OK | os.X_OK):
        return
    read_only = bool(os.statvfs(probe).f_flag & os.ST_RDONLY)
    code = errno.EROFS if read_only else errno.EACCES
    raise _unwritable(folder, OSError(code, os.strerror(code), str(probe)))


def _unwritable(folder: Path, error: OSError) -> UsageError:
    return UsageError(
        f"cannot write into {folder}: {error.strerror or error}; choose a folder you can write to "
        "with --output-folder-path",
        flag="--output-folder-path",
        path=str(folder),
    )


def _report(
    plan: DownloadPlan,
    outcomes: Sequence[ShardOutcome],
    started: float,
    *,
    expired: bool = False,
    interrupted: bool = False,
) -> DownloadReport:
    request = plan.request
    return DownloadReport(
        config_name=plan.config.name,
        input_json_path=plan.manifest.source,
        input_json_sha256=plan.manifest.sha256,
        output_folder=str(plan.output_folder),
        mode=request.mode,
        random_seed=plan.selection.seed,
        selection_rule=plan.selection.rule,
        max_num_sequences=request.max_num_sequences,
        train_val_split_ratio=request.train_val_split_ratio,
        split_source=plan.selection.split_source,
        selected_sequences=plan.selection.selected,
        train_sequences=plan.selection.train,
        validation_sequences=plan.selection.validation,
        shards=tuple(outcomes),
        started_at=started,
        finished_at=time.time(),
        urls_expired=expired,
        interrupted=interrupted,
        tool_version=__version__,
        yaml_files=tuple(f"{request.mode}_{split}_tars.yaml" for split in ("all", "train", "validation")),
    )


def _streamable(plan: DownloadPlan, started: float) -> DownloadReport:
    report = _report(plan, [ShardOutcome.of(shard, ShardStatus.LISTED) for shard in plan.shards], started)
    try:
        plan.output_folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _unwritable(plan.output_folder, error) from None
    saved = save_outputs(plan.output_folder, report, shard_lists(plan))
    if saved.problems:
        raise UsageError(
            f"{'; '.join(saved.problems)}; choose a folder you can write to with --output-folder-path",
            flag="--output-folder-path",
            path=str(plan.output_folder),
        )
    return report


def _download(
    plan: DownloadPlan,
    options: TransferOptions,
    transport: Transport,
    progress: ProgressSink | None,
    started: float,
    reserve: OutputReserve,
) -> DownloadReport:
    journal = StateJournal(plan.output_folder).load()
    shards = plan.shards
    finished = False
    try:
        outcomes, expired = run_transfers(
            shards,
            plan.output_folder,
            transport=transport,
            options=options,
            journal=journal,
            progress=progress,
        )
        finished = True
    finally:
        if not finished:
            # Interrupted (or a bug): still leave YAMLs and a report that say exactly what is verified.
            stopped = [_stopped_outcome(shard, journal, plan.output_folder) for shard in shards]
            _save(plan, _report(plan, stopped, started, interrupted=True), journal, reserve)
    return _finish(plan, outcomes, started, expired=expired, journal=journal, reserve=reserve)


def _stopped_outcome(shard: ShardEntry, journal: StateJournal, folder: Path) -> ShardOutcome:
    if journal.proves(shard):
        return ShardOutcome.of(shard, ShardStatus.PRESENT)
    kept = kept_bytes(folder / shard.relpath)
    if kept:
        reason = f"the run was interrupted; {kept:,} bytes are kept in its .part for a re-run"
        return ShardOutcome.of(shard, ShardStatus.PARTIAL, reason=reason, bytes_kept=kept)
    return ShardOutcome.of(shard, ShardStatus.NOT_STARTED, reason="the run was interrupted")


def _save(
    plan: DownloadPlan, report: DownloadReport, journal: StateJournal | None, reserve: OutputReserve | None
) -> SavedOutputs:
    verified = {outcome.relpath for outcome in report.shards if outcome.ok}
    saved = save_outputs(
        plan.output_folder, report, shard_lists(plan, verified), journal=journal, reserve=reserve
    )
    for problem in saved.problems:
        _log.error("%s", problem)
    return saved


def _finish(
    plan: DownloadPlan,
    outcomes: Sequence[ShardOutcome],
    started: float,
    *,
    expired: bool = False,
    journal: StateJournal | None = None,
    reserve: OutputReserve | None = None,
) -> DownloadReport:
    """Write the outputs, then return the report or raise the error that says what went wrong."""
    saved = _save(plan, _report(plan, outcomes, started, expired=expired), journal, reserve)
    report = saved.report
    folder = plan.output_folder
    verified = sum(1 for outcome in report.shards if outcome.ok)
    failed = report.failed
    if not failed and not saved.problems:
        return report
    if saved.problems:
        lists = "; ".join(saved.problems)
    else:
        lists = f"the YAMLs list only the {verified} verified shards; details in {folder / REPORT_FILE}"
    if expired:
        raise UrlsExpiredError(
            f"the server refused the signed URLs of {plan.manifest.source} (HTTP 401/403): they expire after "
            f"30 days. Download a fresh JSON from projectaria.com and run the same command with it; "
            f"the {verified} verified shards are kept and only the rest is fetched; {lists}",
            report=report,
        )
    if failed:
        first = failed[0]
        what = f"{len(failed)} of {len(report.shards)} shards failed (first: {first.relpath}: {first.reason})"
    else:
        what = f"all {len(report.shards)} shards are verified"
    missing = sum(outcome.size for outcome in failed)
    free = free_bytes(folder)
    if saved.out_of_space or 0 <= free < missing:
        shown = max(free, 0)
        raise InsufficientDiskSpaceError(
            f"{folder} is out of space: {what}; {lists}. Its file system has {format_bytes(shown)} "
            f"({shown:,} bytes) free and {format_bytes(missing)} ({missing:,} bytes) of shards are still "
            "missing: free some space (or choose another --output-folder-path) and run the same command "
            f"again; the {verified} verified shards are kept",
            path=str(folder),
            needed=missing,
            free=shown,
            report=report,
        )
    raise TransferError(f"{what}; {lists}; run the same command again to retry", report=report)
