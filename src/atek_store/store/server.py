"""Run the store server: blocking until SIGINT/SIGTERM (the CLI), or on a background thread.

aiohttp is imported only when a server starts, so ``import atek_store`` works without the
``store`` extra. Connections are admitted by our own accept loop
(:mod:`atek_store.store.connections`: a connection cap derived from the descriptor limit, idle
connections closed first, back-pressure when every connection is busy), and aiohttp's keep-alive
timer closes a connection that sends no complete request within ``idle_timeout``. Shutdown is
graceful either way: the listening socket closes first, downloads in flight get up to
``shutdown_timeout`` seconds to finish, then the remaining connections close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from atek_store.errors import StoreError, UsageError
from atek_store.store.connections import ConnectionLimits, ConnectionPool, descriptor_budget
from atek_store.store.front.policy import FrontConfig
from atek_store.store.signing import UrlSigner

__all__ = ["ServerConfig", "StoreServer", "serve_store", "start_store_server"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerConfig:
    """How to serve a store."""

    root: Path
    host: str = "127.0.0.1"
    port: int = 8080
    secret: str | None = None
    shutdown_timeout: float = 10.0
    access_log: bool = True
    idle_timeout: float = 15.0
    max_connections: int | None = None
    front: FrontConfig | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise UsageError(f"--port {self.port} is not a TCP port (0..65535; 0 picks a free one)")
        if self.shutdown_timeout < 0:
            raise UsageError(f"--shutdown-timeout {self.shutdown_timeout} must not be negative")
        if self.secret is not None and not self.secret:
            raise UsageError("the URL signing secret is empty: give --secret or set ATEK_STORE_SECRET")
        if not self.root.is_dir():
            raise StoreError(f"store root {self.root} is not a folder", path=str(self.root))
        self.limits()  # checks --idle-timeout and --max-connections

    def limits(self) -> ConnectionLimits:
        """The connection limits: ``max_connections`` lowered to what the descriptor limit allows."""
        budget = descriptor_budget()
        wanted = self.max_connections if self.max_connections is not None else budget
        if wanted > budget:
            _log.warning(
                "--max-connections %d is more than the descriptor limit allows; using %d", wanted, budget
            )
        return ConnectionLimits(max_connections=min(wanted, budget), idle_timeout=self.idle_timeout)


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


async def _run(config: ServerConfig, stop: asyncio.Event, on_ready: Callable[[str, int], None]) -> None:
    # aiohttp is in the "store" extra: imported only when a server actually runs.
    try:
        from aiohttp import web
    except ImportError as error:  # pragma: no cover - depends on the installed extras
        raise StoreError("serving a store needs aiohttp: pip install 'atek-store[store]'") from error
    from atek_store.store.accesslog import RedactingAccessLogger
    from atek_store.store.app import ProtocolLog, make_store_app

    signer = UrlSigner(config.secret) if config.secret is not None else None
    front = None
    if config.front is not None:
        from atek_store.store.front.site import open_front

        # Reads the state folder and hashes new shards: on a thread, before listening.
        front, signer = await asyncio.to_thread(open_front, config.root, config.front, secret=config.secret)
    limits = config.limits()
    pool = ConnectionPool(limits=limits, clock=time.monotonic)
    app = make_store_app(config.root, signer=signer, idle_timeout=limits.idle_timeout, pool=pool, front=front)
    runner = web.AppRunner(
        app,
        handle_signals=False,
        shutdown_timeout=config.shutdown_timeout,
        access_log=logging.getLogger("atek_store.store.access") if config.access_log else None,
        access_log_class=RedactingAccessLogger,
        # Also closes a connection that never completes its request headers (slow or silent clients).
        keepalive_timeout=limits.idle_timeout,
        logger=ProtocolLog(),
    )
    await runner.setup()
    listener: socket.socket | None = None
    accepting: asyncio.Task[None] | None = None
    try:
        listener = _listen(config.host, config.port)
        server = runner.server
        if server is None:  # pragma: no cover - setup() always makes one
            raise StoreError("the HTTP server did not start")
        accepting = asyncio.create_task(pool.serve(listener, server))
        port = int(listener.getsockname()[1])
        _log.info(
            "serving %s at %s (%s)",
            config.root,
            _url(config.host, port),
            "signed URLs only" if signer else "no signatures required",
        )
        if front is not None:
            _log.info("store front at %s/", _url(config.host, port))
        on_ready(config.host, port)
        await _until(stop, accepting)
        _log.info("shutting down (waiting up to %.0f s for downloads in flight)", config.shutdown_timeout)
    finally:
        if accepting is not None:
            accepting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await accepting
        if listener is not None:
            listener.close()
        await runner.cleanup()


async def _until(stop: asyncio.Event, accepting: asyncio.Task[None]) -> None:
    """Wait for the stop signal; an accept loop that dies raises its error here."""
    stopping = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({stopping, accepting}, return_when=asyncio.FIRST_COMPLETED)
    if accepting in done:
        stopping.cancel()
        accepting.result()  # raises what ended it
        raise StoreError("the server stopped accepting connections")


def _listen(host: str, port: int) -> socket.socket:
    """A listening, non-blocking TCP socket on ``host:port``.

    Raises:
        StoreError: the address cannot be resolved or bound.
    """
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
        listener = socket.create_server((host, port), family=family, backlog=1024)
    except OSError as error:
        raise StoreError(f"cannot listen on {host}:{port}: {error.strerror or error}") from error
    listener.setblocking(False)
    return listener


def serve_store(config: ServerConfig, *, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve a store until SIGINT or SIGTERM, then shut down gracefully and return.

    Args:
        config: what to serve and where.
        on_ready: called with the server's URL once it listens (the real port when ``port`` is 0).

    Raises:
        StoreError: the root is not a folder or the address cannot be bound.
    """

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        handled: list[signal.Signals] = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows / not main thread
                loop.add_signal_handler(signum, stop.set)
                handled.append(signum)
        try:
            await _run(config, stop, lambda host, port: on_ready(_url(host, port)) if on_ready else None)
        finally:
            for signum in handled:
                loop.remove_signal_handler(signum)

    asyncio.run(main())


class StoreServer:
    """A store server running on a background thread, for tests, demos and notebooks.

    Use :func:`start_store_server` to create one; stop it with :meth:`stop` or a ``with`` block.
    """

    def __init__(self, config: ServerConfig) -> None:
        self._config = config
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._host = config.host
        self._port = 0
        self._thread = threading.Thread(target=self._main, name="atek-store-server", daemon=True)

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return self._port

    @property
    def url(self) -> str:
        """The base URL of the store, e.g. ``http://127.0.0.1:40123``."""
        return _url(self._host, self._port)

    def start(self, timeout: float = 30.0) -> StoreServer:
        """Start the thread and wait until the server listens.

        Raises:
            StoreError: the server could not start (address in use, ...).
        """
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise StoreError(f"the store server did not start within {timeout:.0f} s")
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Shut the server down gracefully and wait for its thread (idempotent)."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(stop.set)
        if self._thread.is_alive():
            self._thread.join(timeout if timeout is not None else self._config.shutdown_timeout + 10.0)

    def __enter__(self) -> StoreServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # noqa: BLE001 - handed to the starting thread
            self._error = error
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()

        def ready(host: str, port: int) -> None:
            self._port = port
            self._ready.set()

        await _run(self._config, self._stop, ready)


def start_store_server(
    root: Path | str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    secret: str | None = None,
    shutdown_timeout: float = 5.0,
    access_log: bool = False,
    idle_timeout: float = 15.0,
    max_connections: int | None = None,
    front: FrontConfig | None = None,
) -> StoreServer:
    """Serve the store at ``root`` on a background thread; returns once it listens.

    Example::

        with start_store_server("my_store", secret="s3cret-s3cret-s3cret") as server:
            print(server.url)  # http://127.0.0.1:<free port>

    With ``front`` (a :class:`~atek_store.store.front.policy.FrontConfig`), the store front's
    pages and access flow are served too.

    Raises:
        StoreError: the root is not a folder or the address cannot be bound.
    """
    config = ServerConfig(
        root=Path(root),
        host=host,
        port=port,
        secret=secret,
        shutdown_timeout=shutdown_timeout,
        access_log=access_log,
        idle_timeout=idle_timeout,
        max_connections=max_connections,
        front=front,
    )
    return StoreServer(config).start()
