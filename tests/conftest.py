"""Fixtures shared by the whole suite: where ../shared lives, the golden data, the loopback server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fault_server import FaultServer

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = (REPO_ROOT / ".." / "shared").resolve()
GOLDEN = SHARED / "golden"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The project's reference folder beside the checkout (``../shared``)."""
    if not SHARED.is_dir():
        pytest.fail(f"../shared not found next to the checkout (looked in {SHARED})")
    return SHARED


@pytest.fixture(scope="session")
def golden_dir(shared_dir: Path) -> Path:
    """``../shared/golden``: real shards and what the original loader yields from them."""
    return shared_dir / "golden"


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """The loopback fault server (``tests/fault_server.py``), fresh for each test."""
    with FaultServer() as server:
        yield server


@pytest.fixture
def refused_url() -> Iterator[str]:
    """An http URL on a port that is bound but not listening: connecting is refused at once.

    The socket stays bound for the whole test, so no other process can take the port meanwhile.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as bound:
        bound.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{bound.getsockname()[1]}/shards-0000.tar"
