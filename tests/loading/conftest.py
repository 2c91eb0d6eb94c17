"""Fixtures for the loader tests: small synthetic stores (served over HTTP by ``fault_server``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from atek_store.synthetic import SyntheticConfig, write_synthetic_store

SMALL_CUBERCNN = SyntheticConfig(
    kind="cubercnn",
    samples_per_sequence=8,
    frames_per_sample=1,
    stride=2,
    rgb_size=(64, 48),
    slam_size=None,
    prefix="AtekSyntheticRelease",
    max_samples_per_shard=2,
    remove_last_tar_if_not_full=False,
    num_boxes=6,
)


@pytest.fixture(scope="session")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 sequences x 4 shards x 2 samples of small cubercnn-like data (keys repeat across sequences)."""
    root = tmp_path_factory.mktemp("small_store")
    write_synthetic_store(root, config=SMALL_CUBERCNN, sequences=3, seed=7)
    return root


@pytest.fixture(scope="session")
def small_urls(small_store: Path) -> list[str]:
    """The 12 shard paths of ``small_store``, sequence by sequence."""
    return [str(path) for path in sorted(small_store.glob("*/*.tar"))]
