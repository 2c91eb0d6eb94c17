"""Fixtures of the viz tests: the golden shards served over loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.viz.loopback import serve


@pytest.fixture(scope="module")
def golden_server(golden_dir: Path) -> Iterator[str]:
    """Base URL under which ``<set>/shards-0000.tar`` of ``../shared/golden/wds`` are served."""
    with serve(golden_dir / "wds") as base:
        yield base
