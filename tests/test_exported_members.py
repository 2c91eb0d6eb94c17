"""The public API is declared once, sorted, and every name in it exists."""

from __future__ import annotations

import atek_store


def test_all_is_sorted_and_unique() -> None:
    names = list(atek_store.__all__)
    assert names == sorted(names)
    assert len(names) == len(set(names))


def test_every_exported_name_exists() -> None:
    for name in atek_store.__all__:
        assert hasattr(atek_store, name), name
