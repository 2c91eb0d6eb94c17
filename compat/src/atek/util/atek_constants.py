"""``atek.util.atek_constants``: ATEK's 49 category ids and names (read-only mappings)."""

from __future__ import annotations

from atek_store.categories import ATEK_CATEGORY_ID_TO_NAME, ATEK_CATEGORY_NAME_TO_ID

__all__ = ["ATEK_CATEGORY_ID_TO_NAME", "ATEK_CATEGORY_NAME_TO_ID"]
