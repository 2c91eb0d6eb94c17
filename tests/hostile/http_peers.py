"""A corpus of hostile HTTP peers, and the bounded children that face them.

Each peer is a :class:`~tests.fault_server.Fault` on the loopback server. The downloader faces
them through the real command line (``main([...])``, in a child process), the streaming client
through :class:`~atek_store.http.HttpClient` and the tar reader, exactly as the loader reads. A
child runs one client against every peer in turn, timing each, under a time and an address-space
bound (:func:`tests.bounded.run_bounded`); the parent checks how each case ended.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass

from tests.bounded import BoundedRun, run_bounded
from tests.fault_server import Fault

# Every case must end within this many seconds, and every child under this peak resident memory
# (the HTTP clients need about 30 MB; torch, were it imported, about 250 MB more).
CASE_SECONDS = 10.0
MAX_RSS_MB = 500
# torch reserves much address space it never touches: cap it well above use, well below harm.
ADDRESS_SPACE_MB = 3072

_GARBAGE = random.Random(11).randbytes(256 * 1024)
_BOMB = gzip.compress(bytes(64 << 20), compresslevel=9)  # 64 MiB of zeros in about 64 KiB
_MANY_HEADERS = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(500)) + b"\r\n"


@dataclass(frozen=True)
class Peer:
    """One hostile behaviour: its fault, and what our client must end with."""

    name: str
    fault: Fault
    exit_code: int  # the downloader's documented exit status
    says: str  # a fragment of the downloader's reason (or of the streaming error)
    stream_error: str | None  # the streaming client's error class; None: it reads the whole shard


def peers(other_host_url: str) -> list[Peer]:
    """The corpus; ``other_host_url`` is the shard served by a second server (another origin)."""
    return [
        Peer("trickle", Fault(rate=4, chunk=1), 1, "stalled", "StallError"),
        Peer("trickled-headers", Fault(header_rate=5), 1, "no complete response headers", "TransferError"),
        Peer("endless-garbage", Fault(body=_GARBAGE, endless=True), 1, "on 2 fresh transfers", "FormatError"),
        Peer("endless-after-the-file", Fault(endless=True), 0, "", None),
        Peer("length-too-long", Fault(content_length=10**12), 1, "1,000,000,000,000 bytes", None),
        Peer(
            "length-too-short", Fault(content_length=1000), 1, "1,000 bytes but the URL JSON", "FormatError"
        ),
        Peer(
            "range-lie",
            Fault(content_range="bytes 0-99/100"),
            1,
            "100 bytes but the URL JSON",
            "TransferError",
        ),
        Peer(
            "redirect-to-file",
            Fault(redirect="file:///etc/passwd"),
            1,
            "redirected to a file: URL",
            "TransferError",
        ),
        Peer(
            "redirect-loop",
            Fault(redirect="shards-0000.tar"),
            1,
            "redirected more than 5 times",
            "TransferError",
        ),
        Peer("redirect-other-host", Fault(redirect=other_host_url), 0, "", None),
        Peer(
            "gzip-bomb",
            Fault(body=_BOMB, content_encoding="gzip"),
            1,
            "bytes but the URL JSON",
            "FormatError",
        ),
        Peer(
            "gzip-bomb-unsized",
            Fault(body=_BOMB, content_encoding="gzip", omit_length=True),
            1,
            "ended at byte",
            "FormatError",
        ),
        Peer("garbage-status-line", Fault(raw=b"SPEAK FRIEND\r\n\r\n"), 1, "cannot reach", "TransferError"),
        Peer("header-flood", Fault(raw=_MANY_HEADERS), 1, "cannot reach", "TransferError"),
        Peer(
            "retry-after-a-day",
            Fault(status=503, status_times=None, retry_after="86400"),
            1,
            "gave up",
            "TransferError",
        ),
    ]


_DOWNLOADS = """
import contextlib, io, json, time
from atek_store import download_atek_wds_sequences
from atek_store.cli import main
from atek_store.cli._errors import exit_code_for
from atek_store.errors import AtekStoreError
from atek_store.http import RetryPolicy
result = []
for case in json.loads({cases!r}):
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        if "argv" in case:
            code = main(case["argv"])
        else:  # through the API, for limits the command line does not expose
            try:
                download_atek_wds_sequences(**case["api"], retry_policy=RetryPolicy(**case["policy"]))
                code = 0
            except AtekStoreError as error:
                code = exit_code_for(error)
    result.append({{"name": case["name"], "code": code, "seconds": time.monotonic() - started,
                    "stderr": err.getvalue()[-3000:]}})
    print("case done:", case["name"], flush=True)
"""

_STREAMS = """
import json, time, traceback
from atek_store.errors import AtekStoreError
from atek_store.format import iter_raw_samples
from atek_store.http import HttpClient, HttpOptions, redact_url
options = HttpOptions(connect_timeout=1, read_timeout=1, retries=1, backoff=0.05, resumes=2,
                      stall_window_s=1, max_retry_after_s=0.2, max_total_wait_s=0.5)
result = []
for case in json.loads({cases!r}):
    started = time.monotonic()
    ended = {{"name": case["name"], "error": None, "ours": False, "message": "", "samples": None}}
    client = HttpClient(options)
    try:
        with client.open(case["url"]) as stream:
            ended["samples"] = sum(1 for _ in iter_raw_samples(stream, shard=redact_url(case["url"])))
    except AtekStoreError as error:
        classes = [c.__name__ for c in type(error).__mro__]
        ended.update(error=type(error).__name__, classes=classes, ours=True, message=str(error)[:500])
    except Exception as error:  # noqa: BLE001 - reported as a failure of the case
        classes = [c.__name__ for c in type(error).__mro__]
        ended.update(error=type(error).__name__, classes=classes, message=traceback.format_exc()[-2000:])
    finally:
        client.close()
    ended["seconds"] = time.monotonic() - started
    result.append(ended)
    print("case done:", case["name"], flush=True)
"""


def run_downloads(cases: list[dict[str, object]], *, timeout_s: float) -> BoundedRun:
    """A download per case, in one bounded child.

    A case is ``{"name", "argv"}`` (the command line) or ``{"name", "api", "policy"}``
    (``download_atek_wds_sequences(**api, retry_policy=RetryPolicy(**policy))``).
    """
    code = _DOWNLOADS.format(cases=json.dumps(cases))
    return run_bounded(
        code, timeout_s=timeout_s, max_memory_mb=ADDRESS_SPACE_MB, env={"ATEK_STORE_NO_PROGRESS": "1"}
    )


def run_streams(cases: list[dict[str, object]], *, timeout_s: float) -> BoundedRun:
    """Stream and parse each case's URL (``{"name", "url"}``), in one bounded child."""
    return run_bounded(
        _STREAMS.format(cases=json.dumps(cases)), timeout_s=timeout_s, max_memory_mb=ADDRESS_SPACE_MB
    )
