"""Byte ranges of streamed shards through the HTTP layer, for the read-ahead.

A :class:`~atek_store.loading.readahead.RangeSource` on :mod:`atek_store.http`'s engine
(:class:`~atek_store.http.ResumableGet`: bounded Range requests, resume after a dropped
connection, the retry budget, the stall rule, the one 200-to-Range rule), over one pooled
transport shared by the read-ahead's connections. No other HTTP code.
"""

from __future__ import annotations

from dataclasses import replace

from atek_store.http import HttpOptions, ResumableGet, Transport, make_transport
from atek_store.loading.readahead import RangeSink

__all__ = ["HttpRanges"]

_PIECE = 1 << 20


class HttpRanges:
    """Byte ranges under :class:`HttpOptions`; make one per reading process (safe across its threads).

    Args:
        options: timeouts and retry limits (default :class:`HttpOptions`).
        connections: how many ranges are read at once (the pool keeps that many connections).
        transport: where bytes come from (default: a pooled http/https transport, closed by
            :meth:`close`); tests pass a handler transport.
    """

    def __init__(
        self, options: HttpOptions | None = None, *, connections: int, transport: Transport | None = None
    ) -> None:
        chosen = options or HttpOptions()
        self.options = replace(chosen, max_connections=max(chosen.max_connections, connections))
        self._own_transport = transport is None
        self._transport = transport or make_transport(
            max_connections=self.options.max_connections,
            timeout=self.options.read_timeout,
            connect_timeout=self.options.connect_timeout,
            max_redirects=self.options.max_redirects,
        )

    def read_range(self, url: str, start: int, end: int, sink: RangeSink) -> None:
        """Bytes ``[start, end)`` of ``url`` into ``sink``, the file's size first."""
        transfer = ResumableGet(
            self._transport,
            url,
            start=start,
            end=end,
            policy=self.options.retry_policy,
            stall=self.options.stall_rule,
        )
        try:
            transfer.open()
            sink.size(transfer.total)
            for piece in transfer.chunks(_PIECE):
                sink.write(piece)
        finally:
            transfer.close()

    def close(self) -> None:
        """Close the pooled connections (of the transport made here)."""
        if self._own_transport:
            self._transport.close()
