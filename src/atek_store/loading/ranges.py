"""Byte ranges of streamed shards through the HTTP layer's client, for the read-ahead.

A :class:`~atek_store.loading.readahead.RangeSource` on :class:`~atek_store.http.HttpClient`
(:class:`~atek_store.http.ResumableGet`: bounded Range requests, resume after a dropped
connection, the retry budget, the stall rule, the one 200-to-Range rule), one pooled transport
shared by the read-ahead's connections. No other HTTP code.
"""

from __future__ import annotations

from dataclasses import replace

from atek_store.http import HttpClient, HttpOptions
from atek_store.loading.readahead import RangeSink

__all__ = ["HttpRanges"]

_PIECE = 1 << 18
"""Bytes handed to the sink at a time: bytes reach the reader at most 33 ms (at 8 MB/s) after they came."""


class HttpRanges:
    """Byte ranges under :class:`HttpOptions`; make one per reading process (safe across its threads).

    Args:
        options: timeouts and retry limits (default :class:`HttpOptions`).
        connections: how many ranges are read at once (the pool keeps that many connections).
    """

    def __init__(self, options: HttpOptions | None = None, *, connections: int) -> None:
        chosen = options or HttpOptions()
        self._client = HttpClient(replace(chosen, max_connections=max(chosen.max_connections, connections)))

    def read_range(self, url: str, start: int, end: int, sink: RangeSink) -> None:
        """Bytes ``[start, end)`` of ``url`` into ``sink``, the file's size first."""
        transfer = self._client.transfer(url, start=start, end=end)
        try:
            transfer.open()
            sink.size(transfer.total)
            for piece in transfer.chunks(_PIECE):
                sink.write(piece)
        finally:
            transfer.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()
