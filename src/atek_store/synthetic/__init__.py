"""Synthetic, geometrically consistent Aria-like data in the ATEK format.

For demos, for tests, and for smoke-testing a training pipeline without downloading anything: a
device walks through a room of boxes; its RGB and SLAM cameras ray-cast the scene; obb3/obb2 GT,
depth and semidense points come from the same geometry.
"""

from __future__ import annotations

from atek_store.synthetic.rig import SyntheticCamera, camera_rig, t_world_device
from atek_store.synthetic.samples import FrameTime, cubercnn_sample, efm_sample, obb_ground_truth
from atek_store.synthetic.scene import Room, Scene, SceneBox, random_scene
from atek_store.synthetic.store import (
    SYNTHETIC_CONFIGS,
    SyntheticConfig,
    generate_sequence,
    sequence_names,
    write_synthetic_store,
)

__all__ = [
    "SYNTHETIC_CONFIGS",
    "FrameTime",
    "Room",
    "Scene",
    "SceneBox",
    "SyntheticCamera",
    "SyntheticConfig",
    "camera_rig",
    "cubercnn_sample",
    "efm_sample",
    "generate_sequence",
    "obb_ground_truth",
    "random_scene",
    "sequence_names",
    "t_world_device",
    "write_synthetic_store",
]
