"""Fixtures shared by the whole suite: where ../shared lives, and the golden data."""

from __future__ import annotations

from pathlib import Path

import pytest

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
