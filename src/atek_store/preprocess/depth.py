"""Depth maps rendered in the rgb camera's geometry (``processors.rgb_depth``).

The depth stream (ADT: ``depth_images.vrs`` stream ``345-1``; ASE: the stream of type ``214``) is
read frame by frame like a camera (closest frame within tolerance). Each uint16 map becomes
float32, is multiplied by ``unit_scaling`` (millimetres to metres) and goes through the rgb
camera's transform chain, with nearest-neighbour resizing. With ``convert_zdepth_to_distance`` the
z-depth is multiplied by the norm of each pixel's ray in the final rgb calibration, giving the
distance to the camera centre.

Store parity: the original computes that ray norm for pixel ``(x, y) = (row, column)``, i.e.
transposed, which is invisible only for a principal point on the diagonal. The store's depth maps
carry that transposition; so do ours (tested against the store's golden shard to 1e-6 m).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from atek_store.errors import RawDataError
from atek_store.format import CameraFrames
from atek_store.preprocess import _aria
from atek_store.preprocess.cameras import FrameLocator
from atek_store.preprocess.config import DepthConfig
from atek_store.preprocess.rectify import CameraGeometry

__all__ = ["DEPTH_CAMERA_LABEL", "DepthProcessor", "ray_norms"]

_log = logging.getLogger(__name__)

DEPTH_CAMERA_LABEL = "camera-rgb-depth"


def ray_norms(calibration: Any) -> torch.Tensor:
    """Float32 ``[H, W]``: at ``[r, c]`` the norm of the ray unprojected from pixel ``(x=r, y=c)``.

    The transposed pixel order is the store's (see the module docstring). Unprojection gives rays
    with z = 1, so the norm turns a z-depth into a distance.
    """
    width, height = (int(v) for v in calibration.get_image_size())
    norms = np.empty((height, width), dtype=np.float64)
    for row in range(height):
        for column in range(width):
            ray = calibration.unproject_no_checks(np.array([row, column], dtype=np.float64))
            norms[row, column] = np.linalg.norm(ray)
    return torch.from_numpy(norms.astype(np.float32))


def _find_stream(provider: Any, config: DepthConfig, path: Path) -> Any:
    streams = list(provider.get_all_streams())
    if config.stream_id is not None:
        wanted = _aria.stream_id(config.stream_id)
        if wanted not in streams:
            raise RawDataError(
                f"depth VRS {path} has no stream {config.stream_id} (it has {', '.join(map(str, streams))})",
                path=str(path),
            )
        return wanted
    for stream in streams:
        if str(stream).split("-")[0] == config.stream_type_id:
            return stream
    raise RawDataError(
        f"depth VRS {path} has no stream of type {config.stream_type_id} "
        f"(it has {', '.join(map(str, streams))})",
        path=str(path),
    )


class DepthProcessor:
    """Depth frames at the sample's times, in the rgb camera's final geometry."""

    def __init__(self, path: Path, config: DepthConfig, rgb_geometry: CameraGeometry) -> None:
        self.path = path
        self.config = config
        self.geometry = rgb_geometry
        self._provider = _aria.open_vrs(str(path))
        self.stream_id = _find_stream(self._provider, config, path)
        self._locator = FrameLocator(
            self._provider, self.stream_id, time_domain=config.time_domain, tolerance_ns=config.tolerance_ns
        )
        self._norms: torch.Tensor | None = None

    def _norm_map(self) -> torch.Tensor:
        if self._norms is None:
            _log.debug("computing the ray norms of %s once", self.path)
            self._norms = ray_norms(self.geometry.final)
        return self._norms

    def _load(self, index: int) -> tuple[torch.Tensor, int, int]:
        data, record = self._provider.get_image_data_by_index(self.stream_id, index)
        array = data.to_numpy_array()
        if array.ndim != 2:
            raise RawDataError(
                f"depth frame {index} of {self.path} is not single-channel", path=str(self.path)
            )
        source_size = tuple(int(v) for v in self.geometry.source.get_image_size())
        if self.geometry.linear is not None and (array.shape[1], array.shape[0]) != source_size:
            raise RawDataError(
                f"depth frames of {self.path} are {array.shape[1]}x{array.shape[0]}, the rgb camera is "
                f"{source_size[0]}x{source_size[1]}: undistorting needs depth rendered in the rgb geometry",
                path=str(self.path),
            )
        depth = array.astype(np.float32)
        if self.config.unit_scaling is not None:
            depth = depth * np.float32(self.config.unit_scaling)
        return torch.from_numpy(depth)[None], int(record.capture_timestamp_ns), int(record.frame_number)

    def frames(self, timestamps_ns: Sequence[int]) -> CameraFrames | None:
        """Depth maps closest to each query time (within tolerance), or None if none is."""
        maps: list[torch.Tensor] = []
        times: list[int] = []
        ids: list[int] = []
        for query in timestamps_ns:
            index = self._locator.index(query)
            if index is None:
                continue
            depth, timestamp, frame_id = self._load(index)
            maps.append(depth)
            times.append(timestamp)
            ids.append(frame_id)
        if not maps:
            return None
        images = self.geometry.transform_images(torch.stack(maps), nearest=True)
        if self.config.convert_zdepth_to_distance:
            images = images * self._norm_map()
        return CameraFrames(
            camera_label=DEPTH_CAMERA_LABEL,
            images=images.to(torch.float32).contiguous(),
            capture_timestamps_ns=torch.tensor(times, dtype=torch.int64),
            frame_ids=torch.tensor(ids, dtype=torch.int64),
        )
