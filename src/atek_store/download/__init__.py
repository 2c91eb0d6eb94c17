"""Downloading a store: one-shard fetch, scheduling, state records, reports, verify (over ``http``)."""

from __future__ import annotations

from atek_store.download.api import download_atek_wds_sequences, make_transport
from atek_store.download.plan import DownloadPlan, plan_download
from atek_store.download.progress import ConsoleProgress, NullProgress, ProgressSink
from atek_store.download.report import DownloadReport, ShardOutcome, load_report
from atek_store.download.scheduler import RetryPolicy, TransferOptions
from atek_store.download.verify import VerifyReport, verify_local_store

__all__ = [
    "ConsoleProgress",
    "DownloadPlan",
    "DownloadReport",
    "NullProgress",
    "ProgressSink",
    "RetryPolicy",
    "ShardOutcome",
    "TransferOptions",
    "VerifyReport",
    "download_atek_wds_sequences",
    "load_report",
    "make_transport",
    "plan_download",
    "verify_local_store",
]
