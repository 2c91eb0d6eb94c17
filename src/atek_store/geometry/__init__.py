"""Geometry shared by synthesis, adaptors and rendering: poses and camera models."""

from __future__ import annotations

from atek_store.geometry.cameras import FISHEYE624, LINEAR, CameraModel, Projection
from atek_store.geometry.poses import (
    compose,
    invert,
    orthonormalize,
    rotation_about_axis,
    to_3x4,
    transform_points,
)

__all__ = [
    "FISHEYE624",
    "LINEAR",
    "CameraModel",
    "Projection",
    "compose",
    "invert",
    "orthonormalize",
    "rotation_about_axis",
    "to_3x4",
    "transform_points",
]
