"""Semidense points per frame: nearest observation time, sorted by inv_dist_std, the store's quirks."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from atek_store.errors import RawDataError
from atek_store.preprocess.semidense import SemidenseProcessor, point_volume
from tests.preprocess.conftest import needs_aria

pytestmark = needs_aria

POINTS = """uid,graph_uid,px_world,py_world,pz_world,inv_dist_std,dist_std
1,g,1.0,1.0,1.0,0.30,0.01
2,g,2.0,2.0,2.0,0.10,0.02
3,g,3.0,3.0,3.0,0.20,0.03
"""
OBSERVATIONS = """uid,frame_tracking_timestamp_us,camera_serial,u,v
1,1000,left,1,1
2,1000,left,1,1
3,1000,left,1,1
2,1000,right,1,1
3,2000,left,1,1
"""


def _processor(folder: Path, tolerance_ns: int) -> SemidenseProcessor:
    points = folder / "semidense_points.csv.gz"
    with gzip.open(points, "wt") as handle:
        handle.write(POINTS)
    observations = folder / "semidense_observations.csv"
    observations.write_text(OBSERVATIONS)
    return SemidenseProcessor(points, observations, tolerance_ns=tolerance_ns)


@pytest.fixture
def semidense(tmp_path: Path) -> SemidenseProcessor:
    return _processor(tmp_path, 100_000)


def test_points_of_the_nearest_observation_sorted_by_inv_dist_std(semidense: SemidenseProcessor) -> None:
    result = semidense.points([1_000_400])  # 1000.4 us -> 1000 us
    (points,) = result.points_world
    # uid 2 was seen by both cameras: listed twice, as in the store
    assert points.tolist() == [[2, 2, 2], [2, 2, 2], [3, 3, 3], [1, 1, 1]]
    assert result.points_inv_dist_std[0].tolist() == pytest.approx([0.1, 0.1, 0.2, 0.3])
    assert result.points_dist_std[0].tolist() == pytest.approx([0.02, 0.02, 0.03, 0.01])
    assert points.dtype == torch.float32
    assert result.points_inv_dist_std[0].dtype == torch.float32
    assert result.capture_timestamps_ns.tolist() == [1_000_000]


def test_the_tolerance_is_inclusive(semidense: SemidenseProcessor) -> None:
    result = semidense.points([1_100_000, 1_101_000])
    assert len(result.points_world[0]) == 4  # 100 us from the 1000 us observations: inside
    assert torch.isnan(result.points_world[1]).all()  # 101 us away: outside


def test_an_equally_near_pair_takes_the_earlier_observation(tmp_path: Path) -> None:
    result = _processor(tmp_path, 600_000).points([1_500_000])
    assert len(result.points_world[0]) == 4  # 1000 us (4 observations), not 2000 us (1)


def test_a_frame_without_observations_gets_one_nan_point(semidense: SemidenseProcessor) -> None:
    result = semidense.points([5_000_000_000])
    assert result.points_world[0].shape == (1, 3)
    assert torch.isnan(result.points_world[0]).all()
    assert result.points_dist_std[0].shape == (1,)
    assert torch.isnan(result.points_inv_dist_std[0]).all()


def test_query_times_round_to_microseconds(semidense: SemidenseProcessor) -> None:
    assert semidense.points([1_999_500, 1_999_499]).capture_timestamps_ns.tolist() == [2_000_000, 1_999_000]


def test_an_unknown_observed_point_names_both_files(tmp_path: Path) -> None:
    points = tmp_path / "points.csv"
    points.write_text(POINTS)
    observations = tmp_path / "observations.csv"
    observations.write_text(OBSERVATIONS + "99,3000,left,1,1\n")
    processor = SemidenseProcessor(points, observations, tolerance_ns=1000)
    with pytest.raises(RawDataError, match=r"\[99\].*points.csv"):
        processor.points([3_000_000])


def test_a_file_without_the_columns_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "points.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(RawDataError, match="points.csv"):
        SemidenseProcessor(bad, bad, tolerance_ns=1)


def test_the_volume_uses_the_first_quantile_whose_grid_is_small_enough() -> None:
    rng = np.random.default_rng(0)
    room = torch.from_numpy(rng.uniform(0, 5, (10_000, 3)).astype(np.float32))
    low, high = point_volume(room)
    np.testing.assert_allclose(low, torch.quantile(room, 0.001, dim=0), rtol=1e-6)
    np.testing.assert_allclose(high, torch.quantile(room, 0.999, dim=0), rtol=1e-6)
    # a few far outliers blow the 0.001 and 0.01 grids past 500 M voxels: 0.05 is taken
    far = torch.cat([room, torch.full((300, 3), 2000.0)])
    low, high = point_volume(far)
    np.testing.assert_allclose(high, torch.quantile(far, 0.95, dim=0), rtol=1e-6)


def test_the_stand_in_files_give_the_goldens_volume(adt_sequence: Path) -> None:
    slam = adt_sequence / "mps" / "slam"
    processor = SemidenseProcessor(
        slam / "semidense_points.csv.gz", slam / "semidense_observations.csv.gz", tolerance_ns=10_000_000
    )
    assert processor.volume_min.tolist() == pytest.approx([1.3926408, 1.4867852, 0.4602754], abs=1e-6)
    assert processor.volume_max.tolist() == pytest.approx([23.298807, 23.609877, 23.299995], abs=1e-5)
