"""Temporal subsampling of the main camera: which frame times make up each sample.

The main camera's frames are thinned to the target rate by keeping every ``factor``-th frame,
``factor = int(nominal rate) // int(target rate)``, which must divide evenly. Optional seconds are
skipped at both ends. Sample ``i`` is ``stride`` kept frames after sample ``i - 1`` and holds
``frames_per_sample`` kept frames; a recording too short for one sample gives no sample.
"""

from __future__ import annotations

from collections.abc import Sequence

from atek_store.errors import ConfigError
from atek_store.preprocess.config import SubsamplerConfig

__all__ = ["sample_timestamps", "subsampling_factor"]


def subsampling_factor(nominal_rate_hz: float, target_rate_hz: float, *, source: str = "") -> int:
    """How many main-camera frames one kept frame stands for.

    Both rates are truncated to whole hertz first, as the original does (a 29.97 Hz stream counts
    as 29 Hz).

    Raises:
        ConfigError: the target rate does not divide the camera's rate.
    """
    rate, target = int(nominal_rate_hz), int(target_rate_hz)
    if target <= 0 or rate <= 0 or rate % target != 0:
        raise ConfigError(
            f"{source or 'config'}: camera_temporal_subsampler.main_camera_target_freq_hz "
            f"{target_rate_hz:g} Hz must divide the main camera's {nominal_rate_hz:g} Hz "
            f"(after truncation to whole hertz: {rate} % {target})",
            path=source,
            key="camera_temporal_subsampler.main_camera_target_freq_hz",
        )
    return rate // target


def sample_timestamps(
    timestamps_ns: Sequence[int], nominal_rate_hz: float, config: SubsamplerConfig, *, source: str = ""
) -> list[list[int]]:
    """The main-camera timestamps of every sample, in order.

    Args:
        timestamps_ns: every frame time of the main camera, ascending.
        nominal_rate_hz: the stream's nominal rate (from the VRS).
        config: the ``camera_temporal_subsampler`` section.
        source: the config file, for error messages.
    """
    factor = subsampling_factor(nominal_rate_hz, config.target_freq_hz, source=source)
    begin = int(config.skip_begin_seconds * nominal_rate_hz) if config.skip_begin_seconds > 0 else 0
    end = len(timestamps_ns)
    if config.skip_end_seconds > 0:
        end -= int(config.skip_end_seconds * nominal_rate_hz)
    kept = [int(t) for t in timestamps_ns[begin:end:factor]] if end > begin else []
    count = (len(kept) - config.frames_per_sample) // config.stride + 1
    return [
        kept[i * config.stride : i * config.stride + config.frames_per_sample] for i in range(max(count, 0))
    ]
