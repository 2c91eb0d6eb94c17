"""ATEK's 49 object categories (id -> name), shared by every dataset of the store.

Id 0 is ``other``. Names are as ATEK spells them (spaces and underscores inconsistently).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "ATEK_CATEGORY_ID_TO_NAME",
    "ATEK_CATEGORY_NAMES",
    "ATEK_CATEGORY_NAME_TO_ID",
    "category_id",
    "category_name",
]

ATEK_CATEGORY_NAMES: tuple[str, ...] = (
    "other", "chair", "lamp", "picture", "sofa", "table", "bed", "pillow", "window", "cabinet",
    "mirror", "floor mat", "shelves", "plant", "dresser", "vase", "container", "cart", "clothes_rack",
    "ladder", "exercise_weight", "fan", "air_conditioner", "mount", "jar", "clock", "tent",
    "electronic_device", "battery_charger", "cutlery", "books", "box", "door", "bottle", "candle",
    "cup", "bin", "display", "tray", "night stand", "bookcase", "refrigerator", "camera", "laptop",
    "floor", "walls", "island", "whiteboard", "ceiling",
)  # fmt: skip

#: Name -> id and id -> name, read-only (the original's ``atek_constants`` dicts).
ATEK_CATEGORY_NAME_TO_ID: Mapping[str, int] = MappingProxyType(
    {name: index for index, name in enumerate(ATEK_CATEGORY_NAMES)}
)
ATEK_CATEGORY_ID_TO_NAME: Mapping[int, str] = MappingProxyType(dict(enumerate(ATEK_CATEGORY_NAMES)))


def category_name(category_id: int) -> str:
    """The ATEK name of a category id (``other`` for ids outside the table)."""
    return ATEK_CATEGORY_NAMES[category_id] if 0 <= category_id < len(ATEK_CATEGORY_NAMES) else "other"


def category_id(name: str) -> int:
    """The ATEK id of a category name (0, ``other``, for unknown names)."""
    return ATEK_CATEGORY_NAME_TO_ID.get(name, 0)
