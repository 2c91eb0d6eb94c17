"""Rectifying one camera's images: undistort to linear, rescale, rotate 90 degrees clockwise.

The three optional steps run in that order on the images, on the calibration (intrinsics and
``T_device_camera``) and on pixel coordinates (for 2D boxes), so that all three stay consistent:

- undistort: the image is resampled (bilinear) into a linear (pinhole) camera of the same size,
  focal length the source's ``fx``, principal point at the image centre;
- rescale to ``[width, height]``: bilinear for images (optionally antialiased), nearest for depth;
  the calibration is rescaled by ``s = width / current width``;
- rotate 90 degrees clockwise: the image, the calibration (its extrinsics gain the rotation) and
  pixels ``(x, y) -> (H - 1 - y, x)``.

Pixel coordinates follow the original's arithmetic exactly (float32 after projection, the
``(p - 0.5) * s + 0.5`` rescale, rotation about the image centre), so 2D boxes come out as in the
store; the rescale of pixels differs from the calibration's ``(p + 0.5) * s - 0.5`` by ``1 - s``
pixels, a known quirk of the original that we keep for parity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from atek_store.preprocess import _aria

__all__ = ["CameraGeometry", "build_geometry", "resize_images", "rotate_cw90", "sample_box_edges"]


def resize_images(
    images: torch.Tensor, height: int, width: int, *, nearest: bool = False, antialias: bool = True
) -> torch.Tensor:
    """Resize ``[F, C, H, W]`` images (uint8 or float) to ``height x width``.

    Bilinear with half-pixel centres (``align_corners=False``), computed on the uint8 data directly
    as torchvision does for uint8 tensors; ``nearest`` is for depth, where averaging across an
    object boundary would invent depths that do not exist.
    """
    if tuple(images.shape[-2:]) == (height, width):
        return images
    if nearest:
        return F.interpolate(images, size=(height, width), mode="nearest")
    return F.interpolate(
        images, size=(height, width), mode="bilinear", align_corners=False, antialias=antialias
    )


def rotate_cw90(images: torch.Tensor) -> torch.Tensor:
    """Rotate ``[..., H, W]`` images 90 degrees clockwise (to ``[..., W, H]``)."""
    return torch.rot90(images, k=3, dims=(-2, -1)).contiguous()


def sample_box_edges(box_range: np.ndarray, samples_on_edge: int) -> np.ndarray:
    """Points along the four edges of a ``[xmin, xmax, ymin, ymax]`` box, corners included.

    Each edge gets ``samples_on_edge + 2`` evenly spaced points (float32, as torch.linspace makes
    them), so that a box whose edges bend under undistortion is still enclosed.
    """
    xmin, xmax, ymin, ymax = (float(v) for v in box_range)
    xs = torch.linspace(xmin, xmax, samples_on_edge + 2).numpy()
    ys = torch.linspace(ymin, ymax, samples_on_edge + 2).numpy()
    top = np.stack([xs, np.full_like(xs, ymin)], axis=1)
    bottom = np.stack([xs, np.full_like(xs, ymax)], axis=1)
    left = np.stack([np.full_like(ys, xmin), ys], axis=1)
    right = np.stack([np.full_like(ys, xmax), ys], axis=1)
    return np.concatenate([top, bottom, left, right]).astype(np.float32)


@dataclass(frozen=True)
class CameraGeometry:
    """The calibrations of one camera through the transform chain (projectaria objects)."""

    source: Any
    linear: Any | None
    scale: float | None
    resolution: tuple[int, int] | None
    rotate: bool
    final: Any
    antialias: bool = True

    @property
    def final_size(self) -> tuple[int, int]:
        """``(width, height)`` of the stored images."""
        width, height = self.final.get_image_size()
        return int(width), int(height)

    def transform_images(self, images: torch.Tensor, *, nearest: bool = False) -> torch.Tensor:
        """Apply the chain to ``[F, C, H, W]`` frames (uint8 images, or float32 depth)."""
        if self.linear is not None:
            images = torch.stack([self._undistort(frame) for frame in images])
        if self.resolution is not None:
            width, height = self.resolution
            images = resize_images(images, height, width, nearest=nearest, antialias=self.antialias)
        if self.rotate:
            images = rotate_cw90(images)
        return images

    def _undistort(self, frame: torch.Tensor) -> torch.Tensor:
        array = frame[0].numpy() if frame.shape[0] == 1 else frame.permute(1, 2, 0).contiguous().numpy()
        out = torch.from_numpy(_aria.calibration().distort_by_calibration(array, self.linear, self.source))
        return out.unsqueeze(0) if out.ndim == 2 else out.permute(2, 0, 1).contiguous()

    def transform_pixels(self, pixels: np.ndarray) -> np.ndarray:
        """Map float ``[N, 2]`` pixel coordinates of the raw image into the stored image (float32)."""
        points = np.asarray(pixels, dtype=np.float32)
        if self.linear is not None:
            projected = [
                self.linear.project_no_checks(self.source.unproject_no_checks(point.astype(np.float64)))
                for point in points
            ]
            points = np.asarray(projected, dtype=np.float64).reshape(-1, 2).astype(np.float32)
        if self.scale is not None:
            points = (points - np.float32(0.5)) * np.float32(self.scale) + np.float32(0.5)
        if self.rotate:
            width, height = self.final_size  # after rotation; before it the image was height x width
            before = np.array([(height - 1) / 2, (width - 1) / 2], dtype=np.float32)
            after = np.array([(width - 1) / 2, (height - 1) / 2], dtype=np.float32)
            centred = points - before
            points = np.stack([-centred[:, 1], centred[:, 0]], axis=1) + after
        return points.astype(np.float32)

    def transform_box(self, box_range: np.ndarray, samples_on_edge: int) -> np.ndarray:
        """The ``[xmin, xmax, ymin, ymax]`` box (float32) enclosing a raw box in the stored image.

        Edge points are transformed and their extent clamped to the image, so a box partly
        outside the stored image is cut at its border.
        """
        points = self.transform_pixels(sample_box_edges(box_range, samples_on_edge))
        width, height = self.final_size
        low, high = points.min(axis=0), points.max(axis=0)
        xmin, xmax = np.clip([low[0], high[0]], 0, width - 1)
        ymin, ymax = np.clip([low[1], high[1]], 0, height - 1)
        return np.array([xmin, xmax, ymin, ymax], dtype=np.float32)


def build_geometry(
    source: Any,
    *,
    undistort: bool,
    resolution: tuple[int, int] | None,
    rotate: bool,
    antialias: bool = True,
) -> CameraGeometry:
    """The transform chain for a camera with calibration ``source`` (from the VRS)."""
    calibration = _aria.calibration()
    current = source
    linear = None
    if undistort:
        width, height = source.get_image_size()
        linear = calibration.get_linear_camera_calibration(
            int(width),
            int(height),
            float(source.get_focal_lengths()[0]),
            f"undistorted_linear_{source.get_label()}",
            source.get_transform_device_camera(),
        )
        current = linear
    scale = None
    if resolution is not None:
        scale = float(resolution[0]) / float(current.get_image_size()[0])
        current = current.rescale(np.array(resolution, dtype=np.int32), scale)
    if rotate:
        current = calibration.rotate_camera_calib_cw90deg(current)
    return CameraGeometry(
        source=source,
        linear=linear,
        scale=scale,
        resolution=resolution,
        rotate=rotate,
        final=current,
        antialias=antialias,
    )
