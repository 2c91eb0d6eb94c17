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

import typing

from atek_store import _lazy

# Public name -> the module that defines it; imported on first use (see atek_store._lazy).
_LAZY: dict[str, str] = {
    "ContentRange": "atek_store.http.ranged",
    "FileTransport": "atek_store.http.local",
    "HandlerTransport": "atek_store.http.handler",
    "HttpClient": "atek_store.http.client",
    "HttpOptions": "atek_store.http.options",
    "HttpTransport": "atek_store.http.pooled",
    "RangedBody": "atek_store.http.ranged",
    "ResumableGet": "atek_store.http.resumable",
    "RetryBudget": "atek_store.http.retry",
    "RetryPolicy": "atek_store.http.retry",
    "RoutingTransport": "atek_store.http.routing",
    "StallGuard": "atek_store.http.stall",
    "StallRule": "atek_store.http.stall",
    "StubRequest": "atek_store.http.handler",
    "StubResponse": "atek_store.http.handler",
    "TransferResponse": "atek_store.http.transport",
    "Transport": "atek_store.http.transport",
    "answer_range": "atek_store.http.handler",
    "error_for_status": "atek_store.http.status",
    "is_retryable_status": "atek_store.http.status",
    "make_transport": "atek_store.http.routing",
    "open_ranged": "atek_store.http.ranged",
    "parse_content_range": "atek_store.http.ranged",
    "parse_retry_after": "atek_store.http.status",
    "redact_text": "atek_store.http.redact",
    "redact_url": "atek_store.http.redact",
}

if typing.TYPE_CHECKING:
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
else:
    __getattr__, __dir__ = _lazy.attach(__name__, _LAZY)

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
