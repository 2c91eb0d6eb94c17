"""Our category table is ATEK's."""

from __future__ import annotations

import json
from pathlib import Path

from atek_store.categories import ATEK_CATEGORY_NAMES, category_id, category_name


def test_table_equals_ateks_id_to_name_mapping(shared_dir: Path) -> None:
    table = json.loads((shared_dir / "data" / "category_mappings" / "atek_id_to_name.json").read_text())
    assert {int(k): v for k, v in table.items()} == dict(enumerate(ATEK_CATEGORY_NAMES))


def test_name_and_id_lookups_are_inverse_and_default_to_other() -> None:
    for index, name in enumerate(ATEK_CATEGORY_NAMES):
        assert category_id(name) == index
        assert category_name(index) == name
    assert category_id("spaceship") == 0
    assert category_name(999) == "other"
