"""Camera frames of one Aria camera at the sample's times, transformed and calibrated.

For each query time the closest frame of the stream is taken; a frame farther than
``tolerance_ns`` from the query is left out (so a camera may return fewer frames than asked).
Transformed frames are kept for the next query, since consecutive samples overlap (an efm
sample shares half its frames with the previous one).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from atek_store.errors import RawDataError
from atek_store.format import CameraFrames
from atek_store.preprocess import _aria
from atek_store.preprocess.config import CameraConfig
from atek_store.preprocess.rectify import CameraGeometry, build_geometry

__all__ = ["CameraProcessor", "FrameLocator", "describe_calibration"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Frame:
    image: torch.Tensor  # [C, H, W] after the transform chain
    timestamp_ns: int
    frame_id: int
    exposure_s: float
    gain: float


class FrameLocator:
    """Finds the frame of one VRS stream closest to a query time, if within the tolerance.

    Closeness is looked up in the configured time domain; the tolerance is checked against the
    frame's capture (device) time, as the original does.
    """

    def __init__(self, provider: Any, stream_id: Any, *, time_domain: str, tolerance_ns: int) -> None:
        self._provider = provider
        self._stream_id = stream_id
        self._time_domain = _aria.time_domain(time_domain)
        self._closest = _aria.sensor_data().TimeQueryOptions.CLOSEST
        self._capture_times = provider.get_timestamps_ns(stream_id, _aria.time_domain("DEVICE_TIME"))
        self.tolerance_ns = tolerance_ns

    def index(self, query_ns: int) -> int | None:
        """Index of the closest frame, or None when there is none within the tolerance."""
        index = int(
            self._provider.get_index_by_time_ns(
                self._stream_id, int(query_ns), self._time_domain, self._closest
            )
        )
        if not 0 <= index < len(self._capture_times):
            return None
        if abs(int(self._capture_times[index]) - int(query_ns)) > self.tolerance_ns:
            return None
        return index


def describe_calibration(frames: CameraFrames, calibration: Any, *, with_valid_radius: bool) -> CameraFrames:
    """Fill the calibration fields of ``frames`` from a projectaria camera calibration."""
    frames.t_device_camera = torch.from_numpy(
        np.ascontiguousarray(calibration.get_transform_device_camera().to_matrix3x4(), dtype=np.float64)
    )
    frames.camera_model_name = str(calibration.get_model_name())
    frames.projection_params = torch.from_numpy(
        np.asarray(calibration.get_projection_params(), dtype=np.float64)
    )
    if with_valid_radius:
        frames.camera_valid_radius = torch.tensor([calibration.get_valid_radius()], dtype=torch.float32)
    return frames


class CameraProcessor:
    """Frames of one camera of the main VRS (``processors.rgb`` / ``slam_left`` / ``slam_right``).

    Args:
        provider: projectaria VRS data provider of the main recording.
        config: the camera's section of the configuration.
        vrs_path: the VRS file, for error messages.
        with_valid_radius: also store ``camera_valid_radius`` (the efm builder does).
    """

    def __init__(
        self, provider: Any, config: CameraConfig, *, vrs_path: str, with_valid_radius: bool
    ) -> None:
        self.config = config
        self.label = config.sensor_label
        self._provider = provider
        self._with_valid_radius = with_valid_radius
        self.stream_id = provider.get_stream_id_from_label(self.label)
        if self.stream_id is None:
            raise RawDataError(f"{vrs_path} has no camera stream labelled {self.label!r}", path=vrs_path)
        sensor = provider.get_sensor_calibration(self.stream_id)
        calibration = sensor.camera_calibration() if sensor is not None else None
        if calibration is None:
            raise RawDataError(f"{vrs_path} has no calibration for camera {self.label!r}", path=vrs_path)
        self.geometry: CameraGeometry = build_geometry(
            calibration,
            undistort=config.undistort_to_linear_camera,
            resolution=config.target_resolution,
            rotate=config.rotate_cw90,
            antialias=config.rescale_antialias,
        )
        self.origin_label = str(provider.get_device_calibration().get_origin_label())
        self._locator = FrameLocator(
            provider, self.stream_id, time_domain=config.time_domain, tolerance_ns=config.tolerance_ns
        )
        self._cache: dict[int, _Frame] = {}

    def _frame(self, index: int) -> _Frame:
        cached = self._cache.get(index)
        if cached is not None:
            return cached
        data, record = self._provider.get_image_data_by_index(self.stream_id, index)
        array = data.to_numpy_array()
        image = torch.from_numpy(array)
        image = image.unsqueeze(0) if image.ndim == 2 else image.permute(2, 0, 1)
        image = self.geometry.transform_images(image.unsqueeze(0))[0]
        return _Frame(
            image=image,
            timestamp_ns=int(record.capture_timestamp_ns),
            frame_id=int(record.frame_number),
            exposure_s=float(record.exposure_duration),
            gain=float(record.gain),
        )

    def frames(self, timestamps_ns: Sequence[int]) -> CameraFrames | None:
        """The camera's frames closest to each query time (within tolerance), or None if none is."""
        kept: list[_Frame] = []
        cache: dict[int, _Frame] = {}
        for query in timestamps_ns:
            index = self._locator.index(query)
            if index is None:
                _log.debug("%s: no frame within %d ns of %d", self.label, self.config.tolerance_ns, query)
                continue
            frame = cache[index] = self._frame(index)
            kept.append(frame)
        self._cache = cache
        if not kept:
            return None
        result = CameraFrames(
            camera_label=self.label,
            images=torch.stack([frame.image for frame in kept]),
            capture_timestamps_ns=torch.tensor([f.timestamp_ns for f in kept], dtype=torch.int64),
            frame_ids=torch.tensor([f.frame_id for f in kept], dtype=torch.int64),
            exposure_durations_s=torch.tensor([f.exposure_s for f in kept], dtype=torch.float32),
            gains=torch.tensor([f.gain for f in kept], dtype=torch.float32),
            origin_camera_label=self.origin_label,
        )
        return describe_calibration(result, self.geometry.final, with_valid_radius=self._with_valid_radius)
