"""Moved: the server is ``tests/fault_server.py``, the fake store ``tests/download/fake_store.py``.

An alias for tests written before the move; import from those modules instead.
"""

from __future__ import annotations

from tests.download.fake_store import FakeStore, build_store, download_args, shard_bytes
from tests.fault_server import Fault, FaultServer, LogEntry

__all__ = ["FakeStore", "Fault", "FaultServer", "LogEntry", "build_store", "download_args", "shard_bytes"]
