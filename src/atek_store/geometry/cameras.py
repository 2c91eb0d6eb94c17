"""Camera models stored in ATEK samples: LINEAR (pinhole) and FISHEYE624, projection and unprojection.

Cameras follow the Aria convention: x right, y down, z forward (optical axis). Parameters are the
sample's ``projection_params``: LINEAR ``[fx, fy, cx, cy]``; FISHEYE624
``[f, cx, cy, k0..k5, p0, p1, s0..s3]`` (one focal length, six radial, two tangential and four
thin-prism coefficients).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from atek_store.errors import FormatError

__all__ = ["FISHEYE624", "LINEAR", "CameraModel", "Projection"]

LINEAR = "CameraModelType.LINEAR"
FISHEYE624 = "CameraModelType.FISHEYE624"
_MIN_DEPTH = 1e-6


@dataclass(frozen=True)
class Projection:
    """Pixel coordinates ``[..., 2]`` and whether each point is in front of the camera."""

    pixels: torch.Tensor
    in_front: torch.Tensor


@dataclass(frozen=True)
class CameraModel:
    """A camera's intrinsic model as stored in a sample."""

    model_name: str
    params: torch.Tensor

    def __post_init__(self) -> None:
        expected = {LINEAR: 4, FISHEYE624: 15}.get(self.model_name)
        if expected is None:
            raise FormatError(
                f"camera model {self.model_name!r} is not supported (expected {LINEAR} or {FISHEYE624})"
            )
        if self.params.numel() != expected:
            raise FormatError(
                f"{self.model_name} takes {expected} projection_params, got {self.params.numel()}"
            )

    @classmethod
    def from_sample(cls, sample: dict[str, object], camera_label: str) -> CameraModel:
        """The model of ``camera_label`` in a decoded sample."""
        name = sample.get(f"mfcd#{camera_label}+camera_model_name")
        params = sample.get(f"mfcd#{camera_label}+projection_params")
        if not isinstance(name, str) or not isinstance(params, torch.Tensor):
            raise FormatError(f"sample has no calibration for camera {camera_label!r}")
        return cls(name, params)

    @classmethod
    def linear(cls, fx: float, fy: float, cx: float, cy: float) -> CameraModel:
        """A pinhole camera."""
        return cls(LINEAR, torch.tensor([fx, fy, cx, cy], dtype=torch.float64))

    def intrinsics_matrix(self) -> torch.Tensor:
        """``K`` (3x3) of a LINEAR camera."""
        if self.model_name != LINEAR:
            raise FormatError(f"a 3x3 K exists only for {LINEAR}, not {self.model_name}")
        fx, fy, cx, cy = self.params.tolist()
        return torch.tensor([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]], dtype=self.params.dtype)

    def project(self, points_camera: torch.Tensor) -> Projection:
        """Project ``[..., 3]`` camera-frame points to ``[..., 2]`` pixels."""
        points = points_camera.to(torch.float64)
        z = points[..., 2]
        in_front = z > _MIN_DEPTH
        safe_z = torch.where(in_front, z, torch.full_like(z, _MIN_DEPTH))
        a = points[..., 0] / safe_z
        b = points[..., 1] / safe_z
        p = self.params.to(torch.float64)
        if self.model_name == LINEAR:
            u = p[0] * a + p[2]
            v = p[1] * b + p[3]
        else:
            u, v = _fisheye624_distort(a, b, p)
        return Projection(torch.stack([u, v], dim=-1), in_front)

    def unproject(self, pixels: torch.Tensor) -> torch.Tensor:
        """Rays ``[..., 3]`` (z = 1) through ``[..., 2]`` pixels of a LINEAR camera."""
        if self.model_name != LINEAR:
            raise FormatError(f"unprojection is implemented for {LINEAR} only, not {self.model_name}")
        p = self.params.to(torch.float64)
        pixels = pixels.to(torch.float64)
        a = (pixels[..., 0] - p[2]) / p[0]
        b = (pixels[..., 1] - p[3]) / p[1]
        return torch.stack([a, b, torch.ones_like(a)], dim=-1)


def _fisheye624_distort(
    a: torch.Tensor, b: torch.Tensor, p: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    f, cx, cy = p[0], p[1], p[2]
    k = p[3:9]
    tangential = p[9:11]
    prism = p[11:15]
    r = torch.sqrt(a * a + b * b)
    theta = torch.atan(r)
    theta2 = theta * theta
    radial = torch.ones_like(theta)
    power = torch.ones_like(theta)
    for coefficient in k:
        power = power * theta2
        radial = radial + coefficient * power
    # th_d / r -> 1 as r -> 0
    scale = torch.where(r > 1e-9, theta * radial / torch.where(r > 1e-9, r, torch.ones_like(r)), radial)
    x = scale * a
    y = scale * b
    r2 = x * x + y * y
    dot2 = 2.0 * (x * tangential[0] + y * tangential[1])
    x_t = x + dot2 * x + r2 * tangential[0]
    y_t = y + dot2 * y + r2 * tangential[1]
    r4 = r2 * r2
    x_t = x_t + prism[0] * r2 + prism[1] * r4
    y_t = y_t + prism[2] * r2 + prism[3] * r4
    return f * x_t + cx, f * y_t + cy
