"""Fixtures for preprocessing tests: the real ADT test sequence, the store's configs, the goldens."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from atek_store.preprocess import SequenceResult, preprocess_sequence

#: Mark for tests that open recordings: they need the preprocess extra (projectaria-tools, pandas).
needs_aria = pytest.mark.skipif(
    importlib.util.find_spec("projectaria_tools") is None or importlib.util.find_spec("pandas") is None,
    reason="needs the preprocess extra: pip install 'atek-store[preprocess]'",
)

# (golden folder, config path below ../shared, sequence name the golden was made with)
GOLDEN_RUNS = {
    "adt_cubercnn": ("data/preprocess_configs/AriaDigitalTwin_cubercnn_config.yaml", "adt_test_seq"),
    "adt_efm_short": ("golden/adt_efm_short_config.yaml", "adt_unit_test"),
}


@pytest.fixture(scope="session")
def adt_sequence(shared_dir: Path) -> Path:
    """The real (short) ADT recording: 6 rgb frames, 3 depth frames, GT, stand-in semidense."""
    return shared_dir / "data" / "adt_test_sequence"


@pytest.fixture(scope="session")
def adt_mapping(shared_dir: Path) -> Path:
    """ATEK's ADT prototype -> category CSV."""
    return shared_dir / "data" / "category_mappings" / "adt_prototype_to_atek.csv"


@pytest.fixture(scope="session")
def store_configs(shared_dir: Path) -> Path:
    """The folder of the data store's six configurations."""
    return shared_dir / "data" / "preprocess_configs"


@pytest.fixture(scope="session")
def golden_outputs(
    shared_dir: Path, adt_sequence: Path, adt_mapping: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, SequenceResult]:
    """Our shards for each golden run (made once per session): golden name -> result."""
    results = {}
    for name, (config, sequence_name) in GOLDEN_RUNS.items():
        results[name] = preprocess_sequence(
            shared_dir / config,
            adt_sequence,
            sequence_name=sequence_name,
            output_folder=tmp_path_factory.mktemp(name),
            category_mapping=adt_mapping,
        )
    return results
