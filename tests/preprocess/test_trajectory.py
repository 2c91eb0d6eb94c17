"""Trajectory: the closest MPS pose per frame time, within tolerance, with its own timestamp."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from atek_store.preprocess.trajectory import TrajectoryProcessor, closest_indices
from tests.preprocess.conftest import needs_aria

pytestmark = needs_aria

# tracking_timestamp_us of the six poses in the ADT test sequence's aria_trajectory.csv
POSE_US = [87551170910, 87551204238, 87551237566, 87551270894, 87551304222, 87551337550]


@pytest.fixture(scope="module")
def trajectory(adt_sequence: Path) -> TrajectoryProcessor:
    return TrajectoryProcessor(adt_sequence / "aria_trajectory.csv", tolerance_ns=10_000_000)


def test_each_frame_gets_the_closest_pose_and_its_exact_timestamp(trajectory: TrajectoryProcessor) -> None:
    # rgb frame times of the test sequence: each within 0.1 ms of a pose
    poses = trajectory.poses([87551170813262, 87551204152300])
    assert poses is not None
    assert poses.capture_timestamps_ns.tolist() == [POSE_US[0] * 1000, POSE_US[1] * 1000]
    assert poses.ts_world_device.shape == (2, 3, 4)
    assert poses.ts_world_device.dtype == torch.float32
    # first pose: translation from the CSV row, rotation orthonormal
    np.testing.assert_allclose(
        poses.ts_world_device[0, :, 3], [0.09294414, 1.55619802, 2.40972621], atol=1e-6
    )
    rotation = poses.ts_world_device[0, :, :3].double()
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-6)
    assert poses.gravity_in_world is not None
    assert poses.gravity_in_world.tolist() == pytest.approx([0, -9.81, 0])


def test_frames_beyond_tolerance_are_left_out(trajectory: TrajectoryProcessor) -> None:
    late = POSE_US[-1] * 1000 + 10_000_001
    poses = trajectory.poses([POSE_US[0] * 1000, late])
    assert poses is not None
    assert poses.capture_timestamps_ns.tolist() == [POSE_US[0] * 1000]
    assert trajectory.poses([late]) is None
    assert trajectory.poses([POSE_US[-1] * 1000 + 10_000_000]) is not None  # the tolerance is inclusive


def test_ties_go_to_the_earlier_element() -> None:
    times = np.array([10, 20, 30], dtype=np.int64)
    assert closest_indices(times, np.array([15, 25, 0, 99, 20])).tolist() == [0, 1, 0, 2, 1]


@given(
    times=st.lists(st.integers(-1000, 1000), min_size=1, max_size=30, unique=True).map(sorted),
    queries=st.lists(st.integers(-1200, 1200), min_size=1, max_size=20),
)
def test_closest_index_is_never_beaten(times: list[int], queries: list[int]) -> None:
    array = np.array(times, dtype=np.int64)
    found = closest_indices(array, np.array(queries, dtype=np.int64))
    for query, index in zip(queries, found, strict=True):
        assert abs(array[index] - query) == min(abs(t - query) for t in times)
