"""``atek.data_loaders.cubercnn_model_adaptor``: the original CubeRCNN adaptor, from atek-store.

``CubeRCNNModelAdaptor`` gives the original's numbers without detectron2 (its ``Instances`` when
detectron2 is installed, atek-store's otherwise) and has ``cubercnn_gt_to_atek_gt``. Outside a
DataLoader ``T_world_camera`` is a numpy array, as in the original.
"""

from __future__ import annotations

from atek_store.adaptors.cubercnn import (
    CubeRCNNModelAdaptor,
    create_atek_dataloader_as_cubercnn,
    load_atek_wds_dataset_as_cubercnn,
)
from atek_store.loading import simple_list_collation_fn as cubercnn_collation_fn

__all__ = [
    "CubeRCNNModelAdaptor",
    "create_atek_dataloader_as_cubercnn",
    "cubercnn_collation_fn",
    "load_atek_wds_dataset_as_cubercnn",
]
