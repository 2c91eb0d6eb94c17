"""Temporal subsampling: rate factor, skipped seconds, samples of L frames every stride frames."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atek_store.errors import ConfigError
from atek_store.preprocess.config import SubsamplerConfig
from atek_store.preprocess.subsampler import sample_timestamps, subsampling_factor


def _config(
    freq: float = 10.0, frames: int = 1, stride: int = 1, begin: float = 0.0, end: float = 0.0
) -> SubsamplerConfig:
    return SubsamplerConfig("camera-rgb", "DEVICE_TIME", freq, frames, stride, begin, end)


def test_thirty_hertz_to_ten_keeps_every_third_frame() -> None:
    times = list(range(0, 60))
    samples = sample_timestamps(times, 30.0, _config(10.0, 1, 1))
    assert [s[0] for s in samples] == list(range(0, 60, 3))


def test_the_adt_cubercnn_plan_on_six_frames_is_one_sample() -> None:
    # factor 3 keeps frames 0 and 3; one frame per sample, stride 2: (2 - 1) // 2 + 1 = 1 sample
    times = [100, 133, 166, 200, 233, 266]
    assert sample_timestamps(times, 30.0, _config(10.0, 1, 2)) == [[100]]


def test_efm_samples_overlap_by_half() -> None:
    times = list(range(100))
    samples = sample_timestamps(times, 10.0, _config(10.0, 20, 10))
    assert samples[0] == list(range(20))
    assert samples[1] == list(range(10, 30))
    assert len(samples) == (100 - 20) // 10 + 1


def test_a_recording_shorter_than_a_sample_gives_none() -> None:
    assert sample_timestamps(list(range(5)), 10.0, _config(10.0, 20, 10)) == []
    assert sample_timestamps([], 10.0, _config(10.0, 1, 1)) == []


def test_seconds_are_skipped_at_both_ends() -> None:
    times = list(range(300))  # 10 s at 30 Hz
    samples = sample_timestamps(times, 30.0, _config(30.0, 1, 1, begin=1.0, end=2.0))
    assert samples[0] == [30]
    assert samples[-1] == [239]


def test_a_rate_that_does_not_divide_is_refused() -> None:
    with pytest.raises(ConfigError, match="must divide"):
        subsampling_factor(30.0, 7.0, source="x.yaml")
    assert subsampling_factor(30.0, 30.0) == 1
    assert subsampling_factor(29.97, 29.0) == 1  # whole hertz, as the original truncates


@given(
    count=st.integers(0, 400),
    factor=st.sampled_from([1, 2, 3, 5]),
    frames=st.integers(1, 25),
    stride=st.integers(1, 12),
)
def test_samples_are_consecutive_kept_frames_stride_apart(
    count: int, factor: int, frames: int, stride: int
) -> None:
    times = [1000 + 33 * i for i in range(count)]
    samples = sample_timestamps(times, 30.0, _config(30.0 / factor, frames, stride))
    kept = times[::factor]
    assert len(samples) == max((len(kept) - frames) // stride + 1, 0)
    for i, sample in enumerate(samples):
        assert sample == kept[i * stride : i * stride + frames]
