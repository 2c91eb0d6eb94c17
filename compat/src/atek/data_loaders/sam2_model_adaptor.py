"""``atek.data_loaders.sam2_model_adaptor``: the original SAM2 adaptor, from atek-store."""

from __future__ import annotations

from atek_store.adaptors.sam2 import Sam2ModelAdaptor, create_atek_dataloader_as_sam2

__all__ = ["Sam2ModelAdaptor", "create_atek_dataloader_as_sam2"]
