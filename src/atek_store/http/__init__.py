"""The one HTTP layer: transports, the retry policy, the resumable ranged GET, status and redaction.

``download/`` and the loader's streaming both read through it, so they share one set of rules:

* :mod:`~atek_store.http.transport` the Transport protocol; :mod:`~atek_store.http.pooled` (urllib3,
  http/https), :mod:`~atek_store.http.local` (``file://``), :mod:`~atek_store.http.routing` (by
  scheme), :mod:`~atek_store.http.handler` (a plain function, for tests);
* :mod:`~atek_store.http.ranged` one positioned GET and the rule for a 200 answer to a Range request;
* :mod:`~atek_store.http.resumable` the engine: resume, retry budget, stall rule;
* :mod:`~atek_store.http.retry`, :mod:`~atek_store.http.stall` the limits;
* :mod:`~atek_store.http.status` status -> error; :mod:`~atek_store.http.redact` secrets out of URLs;
* :mod:`~atek_store.http.client` the streaming client (:class:`HttpClient`, :class:`HttpOptions`).
"""

from __future__ import annotations

from atek_store.http.client import HttpClient
from atek_store.http.handler import HandlerTransport, StubRequest, StubResponse, answer_range
from atek_store.http.local import FileTransport
from atek_store.http.options import HttpOptions
from atek_store.http.pooled import HttpTransport
from atek_store.http.ranged import ContentRange, RangedBody, open_ranged, parse_content_range
from atek_store.http.redact import redact_text, redact_url
from atek_store.http.resumable import ResumableGet
from atek_store.http.retry import RetryBudget, RetryPolicy
from atek_store.http.routing import RoutingTransport, make_transport
from atek_store.http.stall import StallGuard, StallRule
from atek_store.http.status import error_for_status, is_retryable_status, parse_retry_after
from atek_store.http.transport import TransferResponse, Transport

__all__ = [
    "ContentRange",
    "FileTransport",
    "HandlerTransport",
    "HttpClient",
    "HttpOptions",
    "HttpTransport",
    "RangedBody",
    "ResumableGet",
    "RetryBudget",
    "RetryPolicy",
    "RoutingTransport",
    "StallGuard",
    "StallRule",
    "StubRequest",
    "StubResponse",
    "TransferResponse",
    "Transport",
    "answer_range",
    "error_for_status",
    "is_retryable_status",
    "make_transport",
    "open_ranged",
    "parse_content_range",
    "parse_retry_after",
    "redact_text",
    "redact_url",
]
