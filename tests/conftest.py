"""Fixtures shared by the whole suite: where ../shared lives, the golden data, the loopback server.

One rule for ``../shared`` (the reference folder beside the checkout: goldens, real sequences,
configs). A test needs it when it uses the ``shared_dir`` fixture (directly or through
``golden_dir`` and the fixtures built on them) or carries ``@pytest.mark.shared``. When the folder
is absent, those tests are skipped with one reason; under CI (``CI`` set, e.g. ``CI=true``) the
run stops instead, since a CI run without the goldens would prove nothing.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.fault_server import FaultServer

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = (REPO_ROOT / ".." / "shared").resolve()
GOLDEN = SHARED / "golden"

_NOT_FOUND = (
    f"../shared, which is not at {SHARED} (the goldens and reference data: "
    "check out the project's shared folder beside the repository)"
)
_MISSING = f"needs {_NOT_FOUND}"


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _needs_shared(item: pytest.Item) -> bool:
    return "shared_dir" in getattr(item, "fixturenames", ()) or item.get_closest_marker("shared") is not None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "shared: reads ../shared without the shared_dir fixture")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SHARED.is_dir():
        return
    needing = [item for item in items if _needs_shared(item)]
    if not needing:
        return
    if _under_ci():
        pytest.exit(f"CI is set and {len(needing)} selected tests need {_NOT_FOUND}", returncode=1)
    skip = pytest.mark.skip(reason=_MISSING)
    for item in needing:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The project's reference folder beside the checkout (``../shared``)."""
    if not SHARED.is_dir():  # reached only through request.getfixturevalue; collection handles the rest
        if _under_ci():
            pytest.fail(_MISSING)
        pytest.skip(_MISSING)
    return SHARED


@pytest.fixture(scope="session")
def golden_dir(shared_dir: Path) -> Path:
    """``../shared/golden``: real shards and what the original loader yields from them."""
    return shared_dir / "golden"


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """The loopback fault server (``tests/fault_server.py``), fresh for each test."""
    # Imported here so that this file stands alone (tests/test_shared_folder_rule.py copies it).
    from tests.fault_server import FaultServer

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
