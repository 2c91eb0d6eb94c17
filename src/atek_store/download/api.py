"""``download_atek_wds_sequences``: the original's downloader, parallel, resumable, verified and safe.

Same arguments and defaults as the original, same sequences for the same seed, same folder layout
and YAML lists; on top: shard-level parallel transfers, Range resume, sha1 checked before a file
becomes visible, state records so re-runs do not re-read verified files, a disk-space check, a
machine-readable report, and errors instead of silent partial results.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import filelock

from atek_store._version import __version__
from atek_store.download.fetch import kept_bytes
from atek_store.download.plan import DownloadPlan, check_disk_space, plan_download, warn_if_stale
from atek_store.download.progress import ProgressSink
from atek_store.download.report import (
    LISTED,
    NOT_STARTED,
    PARTIAL,
    PRESENT,
    REPORT_FILE,
    DownloadReport,
    ShardOutcome,
)
from atek_store.download.scheduler import RetryPolicy, StallRule, TransferOptions, run_transfers
from atek_store.download.state import STATE_DIR, StateJournal
from atek_store.errors import TransferError, UrlsExpiredError, UsageError
from atek_store.http import Transport, make_transport
from atek_store.manifest import ShardEntry
from atek_store.shardlists import write_shard_lists

__all__ = ["download_atek_wds_sequences", "make_transport"]

_log = logging.getLogger(__name__)


def _interrupted_outcome(shard: ShardEntry, journal: StateJournal, folder: Path) -> ShardOutcome:
    if journal.proves(shard):
        return ShardOutcome.of(shard, PRESENT)
    kept = kept_bytes(folder / shard.relpath)
    if kept:
        reason = f"the run was interrupted; {kept:,} bytes are kept in its .part for a re-run"
        return ShardOutcome.of(shard, PARTIAL, reason=reason, bytes_kept=kept)
    return ShardOutcome.of(shard, NOT_STARTED, reason="the run was interrupted")


def _lists(
    plan: DownloadPlan, keep: Mapping[str, object] | None, *, local: bool
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Per-split ``{sequence: [entries]}``; with ``keep``, only those shards (by relpath)."""

    def entries(names: tuple[str, ...]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name in names:
            shards = [s for s in plan.config.sequences[name].shards if keep is None or s.relpath in keep]
            if shards:
                out[name] = [s.relpath if local else s.url for s in shards]
        return out

    return entries(plan.selection.train), entries(plan.selection.validation)


def _report(
    plan: DownloadPlan, outcomes: Sequence[ShardOutcome], started: float, *, expired: bool, interrupted: bool
) -> DownloadReport:
    return DownloadReport(
        config_name=plan.config.name,
        input_json_path=plan.manifest.source,
        input_json_sha256=plan.manifest.sha256,
        output_folder=str(plan.output_folder),
        mode="local" if plan.local else "streamable",
        random_seed=plan.selection.seed,
        selection_rule=plan.selection.rule,
        max_num_sequences=plan.max_num_sequences,
        train_val_split_ratio=plan.ratio,
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
        yaml_files=tuple(
            f"{'local' if plan.local else 'streamable'}_{split}_tars.yaml"
            for split in ("all", "train", "validation")
        ),
    )


def _streamable(plan: DownloadPlan, started: float) -> DownloadReport:
    plan.output_folder.mkdir(parents=True, exist_ok=True)
    train, validation = _lists(plan, None, local=False)
    write_shard_lists(plan.output_folder, train=train, validation=validation, local=False)
    outcomes = [ShardOutcome.of(shard, LISTED) for shard in plan.shards]
    report = _report(plan, outcomes, started, expired=False, interrupted=False)
    report.write(plan.output_folder)
    return report


def download_atek_wds_sequences(
    config_name: str | None,
    input_json_path: str | Path,
    output_folder_path: str | Path,
    max_num_sequences: int | None = None,
    train_val_split_ratio: float = 0.9,
    random_seed: int = 42,
    download_wds_to_local: bool = False,
    overwrite: bool = False,
    train_val_split_json_path: str | Path | None = None,
    *,
    workers: int = 8,
    retries: int = 5,
    timeout: float = 30.0,
    stable_selection: bool = False,
    allow_file_urls: bool = False,
    progress: ProgressSink | None = None,
    transport: Transport | None = None,
    retry_policy: RetryPolicy | None = None,
) -> DownloadReport:
    """Select sequences from a URL JSON and download them (or write streamable lists).

    With ``download_wds_to_local`` the shards land in ``<output>/<sequence>/shards-NNNN.tar``
    and ``local_{all,train,validation}_tars.yaml`` list the verified ones; without it,
    ``streamable_*_tars.yaml`` list the URLs. ``download_report.json`` is written beside them.

    Returns:
        The report, when every selected shard is verified on disk (or listed).

    Raises:
        ManifestError, UsageError: bad input; nothing was written.
        InsufficientDiskSpaceError: the output file system is too small; nothing was fetched.
        UrlsExpiredError: the server refused the signed URLs; ``error.report`` has the outcomes.
        TransferError: some shards failed; ``error.report`` has the outcomes and reasons.
    """
    started = time.time()
    if timeout <= 0:
        raise UsageError(f"--timeout must be positive, got {timeout}", flag="--timeout")
    options = TransferOptions(
        workers=workers,
        retry=retry_policy or RetryPolicy(retries=retries),
        # A body slower than 1 KiB/s over one --timeout of waiting fails its attempt (a trickle).
        stall=StallRule(window_s=timeout),
        overwrite=overwrite,
    )
    plan = plan_download(
        config_name,
        input_json_path,
        output_folder_path,
        max_num_sequences,
        train_val_split_ratio,
        random_seed,
        download_wds_to_local,
        train_val_split_json_path,
        stable_selection=stable_selection,
        allow_file_urls=allow_file_urls,
    )
    warn_if_stale(plan.manifest)
    if not plan.local:
        return _streamable(plan, started)
    check_disk_space(plan.output_folder, plan.bytes_still_needed(overwrite=overwrite))
    plan.output_folder.mkdir(parents=True, exist_ok=True)
    (plan.output_folder / STATE_DIR).mkdir(exist_ok=True)
    lock = filelock.FileLock(str(plan.output_folder / STATE_DIR / "lock"))
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        raise UsageError(
            f"another download is writing into {plan.output_folder}; wait for it to finish",
            flag="--output-folder-path",
        ) from None
    own_transport = transport is None
    transport = transport or make_transport(
        max_connections=workers, timeout=timeout, allow_file_urls=allow_file_urls
    )
    try:
        return _download(plan, options, transport, progress, started)
    finally:
        if own_transport:
            transport.close()
        lock.release()


def _download(
    plan: DownloadPlan,
    options: TransferOptions,
    transport: Transport,
    progress: ProgressSink | None,
    started: float,
) -> DownloadReport:
    journal = StateJournal(plan.output_folder).load()
    shards = plan.shards
    outcomes: list[ShardOutcome] = []
    expired = interrupted = False
    try:
        outcomes, expired = run_transfers(
            shards,
            plan.output_folder,
            transport=transport,
            options=options,
            journal=journal,
            progress=progress,
        )
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        # Even an interrupted run leaves YAMLs and a report that describe exactly what is verified.
        if interrupted:
            outcomes = [_interrupted_outcome(shard, journal, plan.output_folder) for shard in shards]
        keep = {o.relpath: o for o in outcomes if o.ok}
        train, validation = _lists(plan, keep, local=True)
        write_shard_lists(plan.output_folder, train=train, validation=validation, local=True)
        journal.compact()
        report = _report(plan, outcomes, started, expired=expired, interrupted=interrupted)
        report.write(plan.output_folder)
    if expired:
        raise UrlsExpiredError(
            f"the server refused the signed URLs of {plan.manifest.source} (HTTP 401/403): they expire after "
            f"30 days. Download a fresh JSON from projectaria.com and run the same command with it; "
            f"the {len(keep)} verified shards are kept and only the rest is fetched",
            report=report,
        )
    failed = report.failed
    if failed:
        raise TransferError(
            f"{len(failed)} of {len(shards)} shards failed (first: {failed[0].relpath}: {failed[0].reason}); "
            f"the YAMLs list only the {len(keep)} verified shards; details in "
            f"{plan.output_folder / REPORT_FILE}; run the same command again to retry",
            report=report,
        )
    return report
