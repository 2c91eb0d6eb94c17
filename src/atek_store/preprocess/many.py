"""Many sequences in parallel on Ray: ``RAW_ROOT/<sequence>/`` into ``OUT_ROOT/<config>/<sequence>/``.

The output is laid out as a store (``atek-store publish OUT_ROOT`` serves it). Each sequence is
one Ray task (one CPU); a local Ray instance is started unless an address is given. Runs resume:
a sequence is finished once its completion marker (``.atek-preprocess.json``, written atomically
after its last shard) is there, and a re-run skips it. A failed sequence does not stop the
others; every outcome goes into ``OUT_ROOT/preprocess_report_<config>.json``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from atek_store.atomic import atomic_write_text
from atek_store.errors import UsageError
from atek_store.preprocess.category_mapping import CategoryMapping, load_category_mapping
from atek_store.preprocess.config import PreprocessConfig, load_config
from atek_store.preprocess.paths import is_raw_sequence_folder
from atek_store.preprocess.pipeline import preprocess_sequence

__all__ = [
    "MARKER_NAME",
    "ManyResult",
    "SequenceOutcome",
    "find_sequences",
    "preprocess_many",
    "run_fingerprint",
]

_log = logging.getLogger(__name__)

MARKER_NAME = ".atek-preprocess.json"
#: ``progress(outcome, finished, total)`` after each sequence.
OutcomeCallback = Callable[["SequenceOutcome", int, int], None]


@dataclass(frozen=True)
class SequenceOutcome:
    """What happened to one sequence."""

    sequence_name: str
    status: Literal["done", "skipped", "failed"]
    samples: int = 0
    shards: int = 0
    frames: int = 0
    seconds: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class ManyResult:
    """All outcomes of a run, and where its report is."""

    output_folder: Path
    report_path: Path
    outcomes: tuple[SequenceOutcome, ...]
    seconds: float

    def count(self, status: str) -> int:
        """How many sequences ended with ``status`` (done / skipped / failed)."""
        return sum(outcome.status == status for outcome in self.outcomes)

    @property
    def failed(self) -> tuple[SequenceOutcome, ...]:
        """The sequences that failed."""
        return tuple(outcome for outcome in self.outcomes if outcome.status == "failed")


def run_fingerprint(config: PreprocessConfig, mapping: CategoryMapping | None) -> str:
    """What a completion marker must match for a sequence to count as done for this run."""
    table = sorted(mapping.table.items()) if mapping is not None else None
    text = json.dumps([config.fingerprint(), table], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def find_sequences(raw_root: str | os.PathLike[str]) -> list[tuple[str, Path]]:
    """``(name, folder)`` of every raw recording directly below ``raw_root``, sorted by name."""
    root = Path(raw_root)
    if not root.is_dir():
        raise UsageError(f"--raw-root {root} is not a folder")
    return [
        (entry.name, entry)
        for entry in sorted(root.iterdir())
        if not entry.name.startswith(".") and entry.is_dir() and is_raw_sequence_folder(entry)
    ]


def _write_json_atomically(path: Path, content: Any) -> None:
    atomic_write_text(path, json.dumps(content, indent=2, sort_keys=True))


def _finished(folder: Path, fingerprint: str) -> SequenceOutcome | str | None:
    """The skipped outcome when ``folder`` is complete for this run, a reason if it is not ours, else None."""
    marker = folder / MARKER_NAME
    try:
        content = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if content.get("fingerprint") != fingerprint:
        return (
            f"{folder} was preprocessed with another configuration or category mapping "
            f"({marker}); use another --output-root, or delete that folder to redo it"
        )
    shards = content.get("shards", [])
    if not all((folder / shard["name"]).is_file() for shard in shards):
        return None
    return SequenceOutcome(
        content["sequence_name"], "skipped", samples=content.get("samples", 0), shards=len(shards)
    )


def run_one_sequence(
    config: PreprocessConfig,
    raw_folder: Path,
    sequence_name: str,
    output_folder: Path,
    mapping: CategoryMapping | None,
    fingerprint: str,
) -> SequenceOutcome:
    """Preprocess one sequence and write its completion marker; never raises (failures are outcomes)."""
    started = time.perf_counter()
    try:
        result = preprocess_sequence(
            config,
            raw_folder,
            sequence_name=sequence_name,
            output_folder=output_folder,
            category_mapping=mapping,
            overwrite=True,  # without a marker, whatever is there is a previous attempt of ours
        )
        marker = {
            "sequence_name": sequence_name,
            "config": config.name,
            "fingerprint": fingerprint,
            "samples": result.samples_in_shards,
            "samples_written": result.samples_written,
            "samples_planned": result.samples_planned,
            "dropped": result.dropped,
            "shards": [
                {"name": r.path.name, "samples": r.samples, "size": r.size, "sha1": r.sha1}
                for r in result.shards
            ],
        }
        output_folder.mkdir(parents=True, exist_ok=True)
        _write_json_atomically(output_folder / MARKER_NAME, marker)
        return SequenceOutcome(
            sequence_name,
            "done",
            samples=result.samples_in_shards,
            shards=len(result.shards),
            frames=result.frames_processed,
            seconds=time.perf_counter() - started,
        )
    except Exception as error:  # noqa: BLE001 - one failing sequence must not stop the others
        _log.debug("sequence %s failed:\n%s", sequence_name, traceback.format_exc())
        return SequenceOutcome(
            sequence_name,
            "failed",
            seconds=time.perf_counter() - started,
            error=f"{type(error).__name__}: {error}",
        )


def _run_on_ray(
    jobs: Sequence[tuple[str, Path, Path]],
    config: PreprocessConfig,
    mapping: CategoryMapping | None,
    fingerprint: str,
    *,
    ray_address: str | None,
    num_cpus: int | None,
    report: Callable[[SequenceOutcome], None],
) -> None:
    import ray  # the preprocess extra

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(
            address=ray_address,
            num_cpus=num_cpus if ray_address is None else None,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    try:
        task = ray.remote(num_cpus=1, max_retries=0)(run_one_sequence)
        pending = {task.remote(config, raw, name, out, mapping, fingerprint): name for name, raw, out in jobs}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            name = pending.pop(ready[0])
            try:
                outcome = ray.get(ready[0])
            except ray.exceptions.RayError as error:  # the worker died (out of memory, killed...)
                outcome = SequenceOutcome(name, "failed", error=f"{type(error).__name__}: {error}")
            report(outcome)
    finally:
        if started_here:
            ray.shutdown()


def preprocess_many(
    config: PreprocessConfig | str | os.PathLike[str],
    raw_root: str | os.PathLike[str],
    *,
    output_root: str | os.PathLike[str],
    category_mapping: CategoryMapping | str | os.PathLike[str] | None = None,
    sequences: Sequence[str] | None = None,
    ray_address: str | None = None,
    num_cpus: int | None = None,
    use_ray: bool = True,
    progress: OutcomeCallback | None = None,
) -> ManyResult:
    """Preprocess every raw sequence below ``raw_root`` into ``output_root/<config name>/<sequence>/``.

    Args:
        config: a parsed configuration or the path of its YAML.
        raw_root: a folder of raw recordings, one subfolder (or symlink) per sequence.
        output_root: the store root to write into.
        category_mapping: a mapping CSV (or a loaded mapping); None keeps raw categories.
        sequences: only these sequence names (default: all found).
        ray_address: a Ray cluster to use (default: start a local instance).
        num_cpus: CPUs of the local Ray instance (default: all).
        use_ray: False runs the sequences one after another in this process (for debugging).
        progress: called after each sequence with ``(outcome, finished, total)``.

    Raises:
        UsageError: ``raw_root`` holds no raw sequence, or a requested sequence is not there.
    """
    started = time.perf_counter()
    if not isinstance(config, PreprocessConfig):
        config = load_config(config)
    if category_mapping is not None and not isinstance(category_mapping, CategoryMapping):
        category_mapping = load_category_mapping(category_mapping)
    found = dict(find_sequences(raw_root))
    if sequences is not None:
        unknown = sorted(set(sequences) - set(found))
        if unknown:
            raise UsageError(f"no raw sequence {', '.join(unknown)} in {raw_root}")
        found = {name: found[name] for name in sorted(set(sequences))}
    if not found:
        raise UsageError(f"{raw_root} holds no raw sequence (a subfolder with video.vrs or main.vrs)")
    destination = Path(output_root) / config.name
    destination.mkdir(parents=True, exist_ok=True)
    fingerprint = run_fingerprint(config, category_mapping)
    outcomes: list[SequenceOutcome] = []

    def report(outcome: SequenceOutcome) -> None:
        outcomes.append(outcome)
        if outcome.status == "failed":
            _log.error("%s failed: %s", outcome.sequence_name, outcome.error)
        if progress is not None:
            progress(outcome, len(outcomes), len(found))

    jobs: list[tuple[str, Path, Path]] = []
    for name, raw in found.items():
        state = _finished(destination / name, fingerprint)
        if isinstance(state, SequenceOutcome):
            report(state)
        elif isinstance(state, str):
            report(SequenceOutcome(name, "failed", error=state))
        else:
            jobs.append((name, raw, destination / name))
    if jobs and use_ray:
        _run_on_ray(
            jobs,
            config,
            category_mapping,
            fingerprint,
            ray_address=ray_address,
            num_cpus=num_cpus,
            report=report,
        )
    else:
        for name, raw, out in jobs:
            report(run_one_sequence(config, raw, name, out, category_mapping, fingerprint))
    ordered = tuple(sorted(outcomes, key=lambda outcome: outcome.sequence_name))
    report_path = Path(output_root) / f"preprocess_report_{config.name}.json"
    seconds = time.perf_counter() - started
    _write_json_atomically(
        report_path,
        {
            "config": config.name,
            "config_source": config.source,
            "fingerprint": fingerprint,
            "output_folder": str(destination),
            "seconds": round(seconds, 3),
            "counts": {
                status: sum(o.status == status for o in ordered) for status in ("done", "skipped", "failed")
            },
            "sequences": [asdict(outcome) for outcome in ordered],
        },
    )
    return ManyResult(output_folder=destination, report_path=report_path, outcomes=ordered, seconds=seconds)
