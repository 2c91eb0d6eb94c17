"""Moved: every HTTP test serves through ``tests/fault_server.py`` (``FaultServer.mount``).

An alias for tests written before the move; use the ``fault_server`` fixture instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.fault_server import FaultServer


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve ``root``; yields the base URL (``http://127.0.0.1:<port>``)."""
    with FaultServer() as server:
        yield server.mount(root)
