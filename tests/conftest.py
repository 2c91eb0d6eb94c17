"""Fixtures shared by the whole suite: where ../shared lives, and the golden data.

One rule for ``../shared`` (the reference folder beside the checkout: goldens, real sequences,
configs). A test needs it when it uses the ``shared_dir`` fixture (directly or through
``golden_dir`` and the fixtures built on them) or carries ``@pytest.mark.shared``. When the folder
is absent, those tests are skipped with one reason; under CI (``CI`` set, e.g. ``CI=true``) the
run stops instead, since a CI run without the goldens would prove nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
