"""Synthetic, geometrically consistent Aria-like data in the ATEK format.

For demos, for tests, and for smoke-testing a training pipeline without downloading anything: a
device walks through a room of boxes; its RGB and SLAM cameras ray-cast the scene; obb3/obb2 GT,
depth and semidense points come from the same geometry.
"""

import typing

from atek_store import _lazy

# Public name -> the module that defines it; imported on first use (see atek_store._lazy).
_LAZY: dict[str, str] = {
    "FrameTime": "atek_store.synthetic.samples",
    "Room": "atek_store.synthetic.scene",
    "SYNTHETIC_CONFIGS": "atek_store.synthetic.store",
    "Scene": "atek_store.synthetic.scene",
    "SceneBox": "atek_store.synthetic.scene",
    "SyntheticCamera": "atek_store.synthetic.rig",
    "SyntheticConfig": "atek_store.synthetic.store",
    "camera_rig": "atek_store.synthetic.rig",
    "cubercnn_sample": "atek_store.synthetic.samples",
    "efm_sample": "atek_store.synthetic.samples",
    "generate_sequence": "atek_store.synthetic.store",
    "obb_ground_truth": "atek_store.synthetic.samples",
    "random_scene": "atek_store.synthetic.scene",
    "sequence_names": "atek_store.synthetic.store",
    "t_world_device": "atek_store.synthetic.rig",
    "write_synthetic_store": "atek_store.synthetic.store",
}

if typing.TYPE_CHECKING:
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
else:
    __getattr__, __dir__ = _lazy.attach(__name__, _LAZY)

__all__ = [
    "FrameTime",
    "Room",
    "SYNTHETIC_CONFIGS",
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
