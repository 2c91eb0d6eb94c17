"""``atek.data_loaders.atek_wds_dataloader``: the original loader's functions, from atek-store.

``load_atek_wds_dataset`` and ``create_native_atek_dataloader`` take the original's arguments in
its order (atek-store's extras are keyword-only) and yield its samples; ``process_wds_sample`` and
``select_and_remap_dict_keys`` are the stages for pipelines built directly on WebDataset (EFM3D's
training loader maps ``process_wds_sample`` over ``decode(wds.imagehandler("torchrgb8"))``).
"""

from __future__ import annotations

from atek_store.format.wds_sample import assemble_wds_sample as process_wds_sample
from atek_store.loading import (
    atek_default_collation_fn,
    create_native_atek_dataloader,
    load_atek_wds_dataset,
    simple_list_collation_fn,
)
from atek_store.loading.keymap import select_and_remap_dict_keys

__all__ = [
    "atek_default_collation_fn",
    "create_native_atek_dataloader",
    "load_atek_wds_dataset",
    "process_wds_sample",
    "select_and_remap_dict_keys",
    "simple_list_collation_fn",
]
