"""Selecting and renaming sample keys (``dict_key_mapping``) with the original loader's precedence.

The original walks the *sample* and renames each key it finds in the mapping, so when two keys of
a sample map to the same new name, the one that comes later in the sample wins, and the renamed
sample keeps the sample's key order. Its samples have a fixed order: the pass-through keys, then
every non-JPEG member in tar order (members sorted by name), then the image stacks, then the
semidense point lists. Our decoder builds the same keys in another order, so :func:`remap_keys`
(the loader's select stage) first puts a decoded sample into the original's order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from atek_store.format import keys as K
from atek_store.format.wds_sample import ORIGINAL_SEMIDENSE_ORDER

__all__ = ["PASS_THROUGH_KEYS", "in_original_key_order", "remap_keys", "select_and_remap_dict_keys"]

#: Keys that survive every mapping unchanged: they say where a sample came from.
PASS_THROUGH_KEYS = ("__key__", "__url__")

_SOURCE_KEYS = ("__key__", "__url__", "__local_path__")


def _original_position(key: str) -> tuple[int, int, str]:
    if key in _SOURCE_KEYS:
        return (0, _SOURCE_KEYS.index(key), "")
    if key in ORIGINAL_SEMIDENSE_ORDER:
        return (3, ORIGINAL_SEMIDENSE_ORDER.index(key), "")
    if K.is_jpeg_stack_key(key):
        # A JPEG stack appears where its first frame member "<key>_0.jpeg" is in the tar.
        return (2, 0, f"{key}_")
    # Members are sorted by their full name "<key>.<ext>": comparing "<key>." orders them the same.
    return (1, 0, f"{key}.")


def in_original_key_order(sample: Mapping[str, Any]) -> dict[str, Any]:
    """The same items, in the order the original loader's sample dict has its keys."""
    return {key: sample[key] for key in sorted(sample, key=_original_position)}


def select_and_remap_dict_keys(
    sample_dict: Mapping[str, Any], key_mapping: Mapping[str, str]
) -> dict[str, Any]:
    """Keep ``__key__``/``__url__`` and the keys of ``key_mapping``, renamed, in ``sample_dict``'s order.

    As in the original: when two keys map to one name the later key in ``sample_dict`` wins, and
    the result follows its order (:func:`remap_keys` first puts a decoded sample into the
    original's order).
    """
    remapped: dict[str, Any] = {}
    for key, value in sample_dict.items():
        if key in PASS_THROUGH_KEYS:
            remapped[key] = value
        elif key in key_mapping:
            remapped[key_mapping[key]] = value
    return remapped


def remap_keys(sample: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """A decoded sample's keys selected and renamed by ``mapping``, with the original's precedence."""
    return select_and_remap_dict_keys(in_original_key_order(sample), mapping)
