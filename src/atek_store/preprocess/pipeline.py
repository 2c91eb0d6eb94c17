"""One raw sequence into shards: subsample, build samples, write them through :class:`ShardWriter`.

Shards are written into a hidden staging folder inside the output folder and moved into place
only after the last one is complete, so an interrupted run never leaves a mix of old and new
shards (the original wrote straight into the output folder and left stale shards behind).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from atek_store.errors import RawDataError, UsageError
from atek_store.format import ShardRecord, ShardWriter
from atek_store.preprocess import _aria
from atek_store.preprocess.cameras import CameraProcessor
from atek_store.preprocess.category_mapping import CategoryMapping, load_category_mapping
from atek_store.preprocess.config import PreprocessConfig, load_config
from atek_store.preprocess.depth import DepthProcessor
from atek_store.preprocess.ground_truth import GroundTruthProcessor
from atek_store.preprocess.paths import RawSequencePaths, find_raw_paths
from atek_store.preprocess.samples import Dropped, EfmSampleBuilder, ObbSampleBuilder
from atek_store.preprocess.semidense import SemidenseProcessor
from atek_store.preprocess.subsampler import sample_timestamps
from atek_store.preprocess.trajectory import TrajectoryProcessor

__all__ = ["SHARD_GLOB", "SequenceResult", "build_sample_builder", "preprocess_sequence"]

_log = logging.getLogger(__name__)

SHARD_GLOB = "shards-*.tar"
_STAGING_PREFIX = ".staging-"
#: ``progress(done, total)`` after each subsampler entry.
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class SequenceResult:
    """What preprocessing one sequence produced."""

    sequence_name: str
    output_folder: Path
    shards: tuple[ShardRecord, ...]
    samples_written: int
    samples_planned: int
    frames_processed: int
    dropped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def samples_in_shards(self) -> int:
        """Samples in the kept shards (fewer than written when a partial last shard was removed)."""
        return sum(record.samples for record in self.shards)


def _main_camera_times(provider: object, config: PreprocessConfig, vrs: Path) -> tuple[list[int], float]:
    label = config.subsampler.main_camera_label
    stream = provider.get_stream_id_from_label(label)  # type: ignore[attr-defined]
    if stream is None:
        raise RawDataError(
            f"{vrs} has no stream labelled {label!r} (the subsampler's main camera)", path=str(vrs)
        )
    domain = _aria.time_domain(config.subsampler.time_domain)
    times = [int(t) for t in provider.get_timestamps_ns(stream, domain)]  # type: ignore[attr-defined]
    return times, float(provider.get_nominal_rate_hz(stream))  # type: ignore[attr-defined]


def build_sample_builder(
    config: PreprocessConfig,
    paths: RawSequencePaths,
    *,
    sequence_name: str,
    provider: object,
    mapping: CategoryMapping | None,
) -> ObbSampleBuilder | EfmSampleBuilder:
    """Open every stage the configuration selects, on the files of one raw folder."""
    vrs = paths.require("main_vrs", why="every configuration reads it")
    efm = config.builder == "efm"
    cameras = [
        CameraProcessor(provider, camera, vrs_path=str(vrs), with_valid_radius=efm)
        for camera in config.cameras
    ]
    trajectory = None
    if config.trajectory_tolerance_ns is not None:
        trajectory = TrajectoryProcessor(
            paths.require("trajectory", why="mps_traj"), tolerance_ns=config.trajectory_tolerance_ns
        )
    ground_truth = None
    if config.ground_truth is not None:
        ground_truth = GroundTruthProcessor(
            paths,
            config.ground_truth,
            stream_ids={camera.label: camera.stream_id for camera in cameras},
            geometries={camera.label: camera.geometry for camera in cameras},
            mapping=mapping,
        )
    if not efm:
        return ObbSampleBuilder(sequence_name, cameras, trajectory, ground_truth)
    semidense = None
    if config.semidense_tolerance_ns is not None:
        semidense = SemidenseProcessor(
            paths.require("semidense_points", why="mps_semidense"),
            paths.require("semidense_observations", why="mps_semidense"),
            tolerance_ns=config.semidense_tolerance_ns,
        )
    depth = None
    if config.depth is not None:
        rgb = next(camera for camera in cameras if camera.label == "camera-rgb")
        depth = DepthProcessor(paths.require("depth_vrs", why="rgb_depth"), config.depth, rgb.geometry)
    return EfmSampleBuilder(sequence_name, cameras, trajectory, semidense, depth, ground_truth)


def _existing_shards(folder: Path) -> list[Path]:
    return sorted(folder.glob(SHARD_GLOB)) if folder.is_dir() else []


def preprocess_sequence(
    config: PreprocessConfig | str | os.PathLike[str],
    raw_folder: str | os.PathLike[str],
    *,
    sequence_name: str,
    output_folder: str | os.PathLike[str],
    category_mapping: CategoryMapping | str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
) -> SequenceResult:
    """Preprocess one raw Aria recording into ``output_folder/shards-NNNN.tar``.

    Args:
        config: a parsed configuration or the path of its YAML.
        raw_folder: the recording in the ADT/ASE folder layout.
        sequence_name: stored in every sample's ``sequence_name``.
        output_folder: where the shards go (created if needed).
        category_mapping: a mapping CSV (or a loaded mapping); None keeps raw categories.
        overwrite: replace shards already in ``output_folder``; without it they are an error.
        progress: called with ``(done, total)`` after each subsampler entry.

    Raises:
        ConfigError: the configuration is invalid, or does not fit the recording.
        RawDataError: an input file is missing or malformed.
        UsageError: ``output_folder`` holds shards and ``overwrite`` is off.
    """
    started = time.perf_counter()
    if not isinstance(config, PreprocessConfig):
        config = load_config(config)
    if category_mapping is not None and not isinstance(category_mapping, CategoryMapping):
        category_mapping = load_category_mapping(category_mapping)
    output = Path(output_folder)
    if output.exists() and not output.is_dir():
        raise UsageError(f"output folder {output} is a file")
    if _existing_shards(output) and not overwrite:
        raise UsageError(f"{output} already holds shards; choose another output folder or overwrite them")
    paths = find_raw_paths(raw_folder)
    paths.check_for(config)
    vrs = paths.require("main_vrs", why="every configuration reads it")
    provider = _aria.open_vrs(str(vrs))
    times, rate = _main_camera_times(provider, config, vrs)
    plan = sample_timestamps(times, rate, config.subsampler, source=config.source)
    builder = build_sample_builder(
        config, paths, sequence_name=sequence_name, provider=provider, mapping=category_mapping
    )
    output.mkdir(parents=True, exist_ok=True)
    if overwrite:  # staging folders of runs that were killed before they could clean up
        for stale in output.glob(f"{_STAGING_PREFIX}*"):
            shutil.rmtree(stale, ignore_errors=True)
    staging = output / f"{_STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
    dropped: Counter[str] = Counter()
    written = frames = 0
    try:
        with ShardWriter(
            staging,
            prefix=config.writer.prefix_string,
            max_samples_per_shard=config.writer.max_samples_per_shard,
            remove_last_tar_if_not_full=config.writer.remove_last_tar_if_not_full,
        ) as writer:
            for done, timestamps in enumerate(plan, start=1):
                sample = builder.build(timestamps)
                if isinstance(sample, Dropped):
                    dropped[sample.reason] += 1
                    _log.debug("%s: sample at %d dropped: %s", sequence_name, timestamps[0], sample.reason)
                else:
                    writer.write(sample.to_dict())
                    written += 1
                    frames += len(timestamps)
                if progress is not None:
                    progress(done, len(plan))
        records = _move_into_place(writer.records, staging, output, replace_existing=overwrite)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if dropped:
        _log.info(
            "%s: %d of %d samples dropped: %s", sequence_name, sum(dropped.values()), len(plan), dict(dropped)
        )
    return SequenceResult(
        sequence_name=sequence_name,
        output_folder=output,
        shards=records,
        samples_written=written,
        samples_planned=len(plan),
        frames_processed=frames,
        dropped=dict(dropped),
        seconds=time.perf_counter() - started,
    )


def _move_into_place(
    records: list[ShardRecord], staging: Path, output: Path, *, replace_existing: bool
) -> tuple[ShardRecord, ...]:
    """Move finished shards from staging into ``output``; with ``replace_existing`` drop stale ones."""
    final = [replace(record, path=output / record.path.name) for record in records]
    if replace_existing:
        keep = {record.path.name for record in final}
        for stale in _existing_shards(output):
            if stale.name not in keep:
                stale.unlink()
    for record, moved in zip(records, final, strict=True):
        os.replace(record.path, moved.path)
    _log.debug("moved %d shards from %s into %s", len(final), staging, output)
    return tuple(final)
