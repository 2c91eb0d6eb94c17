"""Model adaptors: ATEK samples -> what a given model consumes (key mapping + per-sample transform)."""

from __future__ import annotations

from atek_store.adaptors.base import KEPT_KEYS, ModelAdaptor, describe_sample, remap_keys
from atek_store.adaptors.cubercnn import (
    CubeRCNNModelAdaptor,
    ObjectFilter,
    create_atek_dataloader_as_cubercnn,
)
from atek_store.adaptors.instances import Boxes, Instances, InstanceStructures, instance_structures

__all__ = [
    "KEPT_KEYS",
    "Boxes",
    "CubeRCNNModelAdaptor",
    "InstanceStructures",
    "Instances",
    "ModelAdaptor",
    "ObjectFilter",
    "create_atek_dataloader_as_cubercnn",
    "describe_sample",
    "instance_structures",
    "remap_keys",
]
