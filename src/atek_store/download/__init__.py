"""Downloading a store: one-shard fetch, scheduling, state records, reports, verify (over ``http``)."""

import typing

from atek_store import _lazy

# Public name -> the module that defines it; imported on first use (see atek_store._lazy).
_LAZY: dict[str, str] = {
    "ConsoleProgress": "atek_store.download.progress",
    "DownloadPlan": "atek_store.download.plan",
    "DownloadReport": "atek_store.download.report",
    "DownloadRequest": "atek_store.download.request",
    "NullProgress": "atek_store.download.progress",
    "ProgressSink": "atek_store.download.progress",
    "RetryPolicy": "atek_store.download.scheduler",
    "ShardOutcome": "atek_store.download.report",
    "ShardStatus": "atek_store.download.report",
    "TransferOptions": "atek_store.download.scheduler",
    "VerifyReport": "atek_store.download.verify",
    "download_atek_wds_sequences": "atek_store.download.api",
    "load_report": "atek_store.download.report",
    "make_transport": "atek_store.download.api",
    "plan_download": "atek_store.download.plan",
    "run_download": "atek_store.download.api",
    "verify_local_store": "atek_store.download.verify",
}

if typing.TYPE_CHECKING:
    from atek_store.download.api import download_atek_wds_sequences, make_transport, run_download
    from atek_store.download.plan import DownloadPlan, plan_download
    from atek_store.download.progress import ConsoleProgress, NullProgress, ProgressSink
    from atek_store.download.report import DownloadReport, ShardOutcome, ShardStatus, load_report
    from atek_store.download.request import DownloadRequest
    from atek_store.download.scheduler import RetryPolicy, TransferOptions
    from atek_store.download.verify import VerifyReport, verify_local_store
else:
    __getattr__, __dir__ = _lazy.attach(__name__, _LAZY)

__all__ = [
    "ConsoleProgress",
    "DownloadPlan",
    "DownloadReport",
    "DownloadRequest",
    "NullProgress",
    "ProgressSink",
    "RetryPolicy",
    "ShardOutcome",
    "ShardStatus",
    "TransferOptions",
    "VerifyReport",
    "download_atek_wds_sequences",
    "load_report",
    "make_transport",
    "plan_download",
    "run_download",
    "verify_local_store",
]
