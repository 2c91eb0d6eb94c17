"""Accept connections for the store server without letting idle or hostile clients freeze it.

asyncio's own accept loop takes every connection the kernel offers and, when descriptors run
out, logs a traceback per failed ``accept()`` (tens of thousands a second). Ours instead:

- holds at most ``max_connections`` connections, a number derived from the process's descriptor
  limit so that ``accept()`` and file opens keep working;
- when that many are open, closes the connection that has been idle longest (connected but
  between requests, or never sent a complete request) to admit the new one; when every
  connection is busy serving a request it stops accepting, so new clients wait in the kernel's
  listen backlog (back-pressure) instead of being refused;
- logs descriptor exhaustion once per ``log_interval`` with a count, and backs off briefly.

Idle time itself is bounded by aiohttp's keep-alive timer (set to the same ``idle_timeout``),
which also closes a connection whose request headers never arrive in full.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from atek_store.errors import UsageError

__all__ = ["ConnectionLimits", "ConnectionPool", "descriptor_budget"]

_log = logging.getLogger(__name__)

# Descriptors kept free for what is not a connection: the listening socket, log files, the state
# database, the executor's file opens, a child renderer's pipes.
_RESERVED_DESCRIPTORS = 64
_EXHAUSTED = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
# How long to wait before accepting again when descriptors ran out and nothing could be freed.
_BACKOFF_S = 0.05


def descriptor_budget(default: int = 1024) -> int:
    """How many connections this process can hold: each may need a socket and an open file."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return default
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return default
    return max(4, min(default, (int(soft) - _RESERVED_DESCRIPTORS) // 2))


@dataclass(frozen=True)
class ConnectionLimits:
    """How many connections to hold, how long one may idle, how often to log exhaustion.

    Raises:
        UsageError: a value is out of range (the message names the flag).
    """

    max_connections: int
    idle_timeout: float = 15.0
    log_interval: float = 60.0

    def __post_init__(self) -> None:
        if self.max_connections < 1:
            raise UsageError(f"--max-connections {self.max_connections} must be at least 1")
        if not self.idle_timeout > 0:
            raise UsageError(f"--idle-timeout {self.idle_timeout} must be positive")


@dataclass
class _Connection:
    transport: asyncio.BaseTransport
    last_active: float
    busy: int = 0


class _Tracked(asyncio.Protocol):
    """A protocol that forwards everything to aiohttp's and tells the pool when it ends."""

    def __init__(self, inner: asyncio.Protocol, pool: ConnectionPool) -> None:
        self._inner = inner
        self._pool = pool
        self._transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._pool.opened(transport)
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._pool.closed(self._transport)
        self._inner.connection_lost(exc)


@dataclass
class _Exhaustion:
    """Descriptor-exhaustion events since the last log line (logged once per interval)."""

    count: int = 0
    logged_at: float | None = None
    last_error: str = ""


@dataclass
class ConnectionPool:
    """The server's open connections, with the accept loop that admits new ones.

    One pool per running server (no module state); every method runs on the event loop.
    """

    limits: ConnectionLimits
    clock: Callable[[], float]
    _open: dict[asyncio.BaseTransport, _Connection] = field(default_factory=dict)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _exhaustion: _Exhaustion = field(default_factory=_Exhaustion)
    evicted: int = 0

    @property
    def open_connections(self) -> int:
        """How many connections are open now."""
        return len(self._open)

    # Bookkeeping, called by the protocol wrapper and the application's middleware.

    def opened(self, transport: asyncio.BaseTransport) -> None:
        """A connection was made."""
        self._open[transport] = _Connection(transport, self.clock())

    def closed(self, transport: asyncio.BaseTransport | None) -> None:
        """A connection ended (either side closed it)."""
        if transport is not None and self._open.pop(transport, None) is not None:
            self._changed.set()

    def request_started(self, transport: asyncio.BaseTransport | None) -> None:
        """A complete request arrived on ``transport``: it is busy, never evicted."""
        connection = self._open.get(transport) if transport is not None else None
        if connection is not None:
            connection.busy += 1

    def request_finished(self, transport: asyncio.BaseTransport | None) -> None:
        """A request on ``transport`` was answered: it idles until the next one."""
        connection = self._open.get(transport) if transport is not None else None
        if connection is not None:
            connection.busy = max(0, connection.busy - 1)
            connection.last_active = self.clock()
            self._changed.set()

    # The accept loop.

    async def serve(self, sock: socket.socket, factory: Callable[[], asyncio.Protocol]) -> None:
        """Accept connections on the listening ``sock`` until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            while len(self._open) >= self.limits.max_connections and not self._has_idle():
                # Every connection is serving a request: leave new ones in the listen backlog.
                self._changed.clear()
                await self._changed.wait()
            try:
                conn, _ = await loop.sock_accept(sock)
            except OSError as error:
                if error.errno in _EXHAUSTED:
                    self._note_exhaustion(error)
                    if not self._evict_idlest():
                        await asyncio.sleep(_BACKOFF_S)
                    continue
                if error.errno in (errno.ECONNABORTED, errno.EPROTO, errno.EPERM):
                    continue  # the client gave up while waiting in the backlog
                raise
            if len(self._open) >= self.limits.max_connections:
                self._evict_idlest()
            await self._start(loop, conn, factory)

    async def _start(
        self, loop: asyncio.AbstractEventLoop, conn: socket.socket, factory: Callable[[], asyncio.Protocol]
    ) -> None:
        try:
            await loop.connect_accepted_socket(lambda: _Tracked(factory(), self), conn)
        except OSError as error:
            _log.debug("could not set up an accepted connection: %s", error)
            with contextlib.suppress(OSError):
                conn.close()

    def _has_idle(self) -> bool:
        return any(not connection.busy for connection in self._open.values())

    def _evict_idlest(self) -> bool:
        idle = [connection for connection in self._open.values() if not connection.busy]
        if not idle:
            return False
        oldest = min(idle, key=lambda connection: connection.last_active)
        # An idle connection has nothing in flight: drop it at once to free its descriptor.
        self._open.pop(oldest.transport, None)
        oldest.transport.abort()  # type: ignore[attr-defined]
        self.evicted += 1
        _log.debug("closed the connection idle longest to admit a new one (%d open)", len(self._open))
        return True

    def _note_exhaustion(self, error: OSError) -> None:
        state = self._exhaustion
        state.count += 1
        state.last_error = error.strerror or str(error)
        now = self.clock()
        if state.logged_at is None or now - state.logged_at >= self.limits.log_interval:
            _log.warning(
                "cannot accept connections: %s (%d time(s) since the last report, %d connections open); "
                "raise the descriptor limit (ulimit -n) or lower --max-connections",
                state.last_error,
                state.count,
                len(self._open),
            )
            state.count = 0
            state.logged_at = now
