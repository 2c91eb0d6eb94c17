"""Fixtures of the compatibility tests: EFM3D's readers (a real client) and the golden shards."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# EFM3D scripts functions with torch.jit at import, logs through Logger.warn and builds a WebDataset
# without shardshuffle, whose reader leaves files to the garbage collector: all warn from client
# code, which these tests run unmodified.
CLIENT_WARNINGS = (
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning",
    "ignore:The 'warn' method is deprecated:DeprecationWarning",
    "ignore:WebDataset\\(shardshuffle=...\\) is None:UserWarning",
    # WebDataset 1.0.2 leaves each shard's file for the garbage collector to close.
    "ignore:unclosed file:ResourceWarning",
)


@pytest.fixture(scope="session")
def efm3d_client(shared_dir: Path) -> Path:
    """``../shared/clients/efm3d`` put on ``sys.path`` for the session (EFM3D's readers, unmodified)."""
    client = shared_dir / "clients" / "efm3d"
    if str(client) not in sys.path:
        sys.path.insert(0, str(client))
    return client


@pytest.fixture(scope="session")
def efm_urls(golden_dir: Path) -> list[str]:
    """The golden efm shards (2 samples of 2 frames: rgb, both slam cameras, depth, efm GT)."""
    return [str(path) for path in sorted((golden_dir / "wds" / "adt_efm_short").glob("*.tar"))]


@pytest.fixture(scope="session")
def cubercnn_urls(golden_dir: Path) -> list[str]:
    """The golden cubercnn shard (1 sample, 1408x1408 rgb, obb2 + obb3 GT)."""
    return [str(path) for path in sorted((golden_dir / "wds" / "adt_cubercnn").glob("*.tar"))]


@pytest.fixture(scope="session")
def taxonomy_csv(efm3d_client: Path) -> str:
    """EFM3D's ATEK -> EFM taxonomy, plus the ATEK categories that occur in ADT (see its README)."""
    return str(efm3d_client / "atek_to_efm_with_adt_categories.csv")
