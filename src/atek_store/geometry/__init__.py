"""Geometry shared by synthesis, adaptors and rendering: poses and camera models."""

import typing

from atek_store import _lazy

# Public name -> the module that defines it; imported on first use (see atek_store._lazy).
_LAZY: dict[str, str] = {
    "CameraModel": "atek_store.geometry.cameras",
    "FISHEYE624": "atek_store.geometry.cameras",
    "LINEAR": "atek_store.geometry.cameras",
    "Projection": "atek_store.geometry.cameras",
    "compose": "atek_store.geometry.poses",
    "invert": "atek_store.geometry.poses",
    "orthonormalize": "atek_store.geometry.poses",
    "rotation_about_axis": "atek_store.geometry.poses",
    "to_3x4": "atek_store.geometry.poses",
    "transform_points": "atek_store.geometry.poses",
}

if typing.TYPE_CHECKING:
    from atek_store.geometry.cameras import FISHEYE624, LINEAR, CameraModel, Projection
    from atek_store.geometry.poses import (
        compose,
        invert,
        orthonormalize,
        rotation_about_axis,
        to_3x4,
        transform_points,
    )
else:
    __getattr__, __dir__ = _lazy.attach(__name__, _LAZY)

__all__ = [
    "CameraModel",
    "FISHEYE624",
    "LINEAR",
    "Projection",
    "compose",
    "invert",
    "orthonormalize",
    "rotation_about_axis",
    "to_3x4",
    "transform_points",
]
