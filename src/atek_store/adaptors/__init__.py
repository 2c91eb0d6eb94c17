"""Model adaptors: ATEK samples -> what a given model consumes (key mapping + per-sample transform).

CubeRCNN (and its outputs back to ATEK ground truth) and SAM2 are provided; ``tensors`` holds helpers
that adaptors share.
"""

import typing

from atek_store import _lazy

# Public name -> the module that defines it; imported on first use (see atek_store._lazy).
_LAZY: dict[str, str] = {
    "Boxes": "atek_store.adaptors.instances",
    "CubeRCNNModelAdaptor": "atek_store.adaptors.cubercnn",
    "InstanceStructures": "atek_store.adaptors.instances",
    "Instances": "atek_store.adaptors.instances",
    "KEPT_KEYS": "atek_store.adaptors.base",
    "ModelAdaptor": "atek_store.adaptors.base",
    "ObjectFilter": "atek_store.adaptors.cubercnn",
    "Sam2ModelAdaptor": "atek_store.adaptors.sam2",
    "create_atek_dataloader_as_cubercnn": "atek_store.adaptors.cubercnn",
    "create_atek_dataloader_as_sam2": "atek_store.adaptors.sam2",
    "cubercnn_gt_to_atek_gt": "atek_store.adaptors.cubercnn_gt",
    "describe_sample": "atek_store.adaptors.base",
    "instance_structures": "atek_store.adaptors.instances",
    "load_atek_wds_dataset_as_cubercnn": "atek_store.adaptors.cubercnn",
    "remap_keys": "atek_store.adaptors.base",
}

if typing.TYPE_CHECKING:
    from atek_store.adaptors.base import KEPT_KEYS, ModelAdaptor, describe_sample, remap_keys
    from atek_store.adaptors.cubercnn import (
        CubeRCNNModelAdaptor,
        ObjectFilter,
        create_atek_dataloader_as_cubercnn,
        load_atek_wds_dataset_as_cubercnn,
    )
    from atek_store.adaptors.cubercnn_gt import cubercnn_gt_to_atek_gt
    from atek_store.adaptors.instances import Boxes, Instances, InstanceStructures, instance_structures
    from atek_store.adaptors.sam2 import Sam2ModelAdaptor, create_atek_dataloader_as_sam2
else:
    __getattr__, __dir__ = _lazy.attach(__name__, _LAZY)

__all__ = [
    "Boxes",
    "CubeRCNNModelAdaptor",
    "InstanceStructures",
    "Instances",
    "KEPT_KEYS",
    "ModelAdaptor",
    "ObjectFilter",
    "Sam2ModelAdaptor",
    "create_atek_dataloader_as_cubercnn",
    "create_atek_dataloader_as_sam2",
    "cubercnn_gt_to_atek_gt",
    "describe_sample",
    "instance_structures",
    "load_atek_wds_dataset_as_cubercnn",
    "remap_keys",
]
