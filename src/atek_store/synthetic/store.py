"""Generate whole synthetic sequences and write them as a store folder of shards.

``write_synthetic_store(out, config="cubercnn", sequences=3)`` writes
``out/<sequence>/shards-0000.tar, ...`` exactly as the real data store lays out one config.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from atek_store.errors import UsageError
from atek_store.format.writer import ShardRecord, ShardWriter
from atek_store.synthetic.rig import camera_rig
from atek_store.synthetic.samples import FrameTime, cubercnn_sample, efm_sample
from atek_store.synthetic.scene import random_scene

__all__ = [
    "SYNTHETIC_CONFIGS",
    "SyntheticConfig",
    "generate_sequence",
    "sequence_names",
    "write_synthetic_store",
]

_FRAME_PERIOD_NS = 100_000_000  # 10 Hz, the store's target rate
_START_NS = 1_000_000_000_000
_FRAMES_PER_PERIOD = 3  # frame ids count at the 30 Hz of the raw stream


@dataclass(frozen=True)
class SyntheticConfig:
    """How to synthesise one store configuration."""

    kind: str  # "cubercnn" or "efm"
    samples_per_sequence: int
    frames_per_sample: int
    stride: int  # in 10 Hz frames between the starts of consecutive samples
    rgb_size: tuple[int, int]  # (W, H)
    slam_size: tuple[int, int] | None
    prefix: str
    max_samples_per_shard: int
    remove_last_tar_if_not_full: bool
    num_boxes: int = 14


SYNTHETIC_CONFIGS: dict[str, SyntheticConfig] = {
    "cubercnn": SyntheticConfig(
        kind="cubercnn",
        samples_per_sequence=12,
        frames_per_sample=1,
        stride=2,
        rgb_size=(320, 320),
        slam_size=None,
        prefix="AtekSyntheticRelease",
        max_samples_per_shard=4,
        remove_last_tar_if_not_full=False,
    ),
    "efm": SyntheticConfig(
        kind="efm",
        samples_per_sequence=4,
        frames_per_sample=4,
        stride=2,
        rgb_size=(240, 240),
        slam_size=(320, 240),
        prefix="",
        max_samples_per_shard=2,
        remove_last_tar_if_not_full=True,
    ),
}


def sequence_names(count: int) -> list[str]:
    """Names of the first ``count`` synthetic sequences."""
    return [f"synthetic_seq_{index:03d}" for index in range(count)]


def _times(first_frame: int, count: int) -> list[FrameTime]:
    return [
        FrameTime(_START_NS + (first_frame + j) * _FRAME_PERIOD_NS, (first_frame + j) * _FRAMES_PER_PERIOD)
        for j in range(count)
    ]


def generate_sequence(
    config: SyntheticConfig, *, seed: int, index: int, name: str
) -> Iterator[dict[str, Any]]:
    """Yield the samples of one synthetic sequence (deterministic in ``seed`` and ``index``)."""
    rng = np.random.default_rng([seed, index])
    scene = random_scene(rng, num_boxes=config.num_boxes)
    cameras = camera_rig(rgb_size=config.rgb_size, slam_size=config.slam_size)
    produced = 0
    start = 0
    attempts = 0
    while produced < config.samples_per_sequence and attempts < 4 * config.samples_per_sequence:
        times = _times(start, config.frames_per_sample)
        start += config.stride
        attempts += 1
        if config.kind == "cubercnn":
            sample = cubercnn_sample(scene, cameras["camera-rgb"], times[0], name)
            if sample is None:
                continue
        else:
            sample = efm_sample(scene, cameras, times, name, rng)
        produced += 1
        yield sample


def write_synthetic_store(
    out: str | os.PathLike[str],
    *,
    config: str | SyntheticConfig = "cubercnn",
    sequences: int = 3,
    seed: int = 0,
    samples_per_sequence: int | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, list[ShardRecord]]:
    """Write ``sequences`` synthetic sequences as ``out/<sequence>/shards-NNNN.tar``.

    Args:
        out: the store folder of one configuration.
        config: a name from :data:`SYNTHETIC_CONFIGS` or a :class:`SyntheticConfig`.
        sequences: how many sequences.
        seed: seeds the scenes and noise; the same seed writes the same samples.
        samples_per_sequence: overrides the config's count.
        progress: called with (sequence name, samples written so far) after each sample.

    Returns:
        The shard records written, by sequence name.
    """
    if isinstance(config, str):
        if config not in SYNTHETIC_CONFIGS:
            raise UsageError(
                f"unknown synthetic config {config!r}; choose one of {', '.join(SYNTHETIC_CONFIGS)}"
            )
        config = SYNTHETIC_CONFIGS[config]
    if samples_per_sequence is not None:
        if samples_per_sequence < 1:
            raise UsageError(f"samples per sequence must be >= 1, got {samples_per_sequence}")
        config = replace(config, samples_per_sequence=samples_per_sequence)
    if sequences < 1:
        raise UsageError(f"the number of sequences must be >= 1, got {sequences}")
    records: dict[str, list[ShardRecord]] = {}
    for index, name in enumerate(sequence_names(sequences)):
        with ShardWriter(
            Path(out) / name,
            prefix=config.prefix,
            max_samples_per_shard=config.max_samples_per_shard,
            remove_last_tar_if_not_full=config.remove_last_tar_if_not_full,
        ) as writer:
            for count, sample in enumerate(
                generate_sequence(config, seed=seed, index=index, name=name), start=1
            ):
                writer.write(sample)
                if progress is not None:
                    progress(name, count)
        records[name] = writer.records
    return records
