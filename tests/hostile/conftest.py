"""Fixtures of the hostile-input tests: the generated corpus, and a bounded child that can import tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.bounded import REPO_ROOT, BoundedRun, run_bounded
from tests.hostile.corpus import build_corpus

# Every hostile input must end under this peak resident memory (torch alone is ~240 MB of it).
MAX_RSS_MB = 500
# A bounded child may map more address space than it uses (torch reserves a lot): the
# address-space cap turns a runaway allocation into a MemoryError well before the machine suffers.
ADDRESS_SPACE_MB = 3072


def run_probe(code: str, *, timeout_s: float) -> BoundedRun:
    """Run ``code`` in a bounded child that can import both ``atek_store`` and ``tests``."""
    env = {"PYTHONPATH": f"{REPO_ROOT / 'src'}:{REPO_ROOT}"}
    return run_bounded(code, timeout_s=timeout_s, max_memory_mb=ADDRESS_SPACE_MB, env=env, cwd=REPO_ROOT)


def returned(run: BoundedRun) -> Any:
    """The child's value; fails with its output when it hung, crashed or raised."""
    assert run.outcome == "returned", f"{run.outcome} after {run.seconds:.1f} s: {run.message}\n{run.output}"
    assert run.peak_rss_mb < MAX_RSS_MB, f"peak RSS {run.peak_rss_mb:.0f} MB"
    return run.value


@pytest.fixture(scope="session")
def hostile_corpus(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The hostile shard corpus, written once per session; each record has its ``path``."""
    return build_corpus(tmp_path_factory.mktemp("hostile-corpus"))


@pytest.fixture(scope="session")
def corpus_file(hostile_corpus: list[dict[str, Any]]) -> str:
    """The corpus's index (``corpus.json``), which a bounded child reads."""
    return str(Path(str(hostile_corpus[0]["path"])).parent / "corpus.json")
