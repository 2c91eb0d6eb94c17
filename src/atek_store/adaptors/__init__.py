"""Model adaptors: ATEK samples -> what a given model consumes (key mapping + per-sample transform).

CubeRCNN and SAM2 are provided; ``tensors`` holds helpers adaptors share.
"""

from __future__ import annotations

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

__all__ = [
    "KEPT_KEYS",
    "Boxes",
    "CubeRCNNModelAdaptor",
    "InstanceStructures",
    "Instances",
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
