"""Category mapping: raw dataset names (ADT prototypes, ASE categories) to ATEK categories.

A mapping CSV has a header row whose 2nd and 3rd columns are ``ATEK Category Name`` and
``ATEK Category Id`` (e.g. ``../shared/data/category_mappings/adt_prototype_to_atek.csv``) and one
row per raw name. A raw name that is not in the table maps to ``other`` (id 0).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from atek_store.errors import ConfigError

__all__ = ["OTHER", "CategoryMapping", "load_category_mapping"]

#: What an unmapped raw name becomes.
OTHER = ("other", 0)
_HEADER = ("ATEK Category Name", "ATEK Category Id")


@dataclass(frozen=True)
class CategoryMapping:
    """Raw name -> ``(ATEK category name, ATEK category id)``."""

    table: Mapping[str, tuple[str, int]]
    source: str = ""

    def lookup(self, raw_name: str) -> tuple[str, int]:
        """The ATEK category of a raw name (``other``/0 when unmapped)."""
        return self.table.get(raw_name, OTHER)


def load_category_mapping(path: str | os.PathLike[str]) -> CategoryMapping:
    """Read a mapping CSV.

    Raises:
        ConfigError: the header is not the ATEK mapping header, or a row is malformed.
        FileNotFoundError: there is no such file.
    """
    source = str(path)
    table: dict[str, tuple[str, int]] = {}
    with Path(path).open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows, None)
        if header is None or len(header) != 3 or tuple(h.strip() for h in header[1:]) != _HEADER:
            raise ConfigError(
                f"{source}: the header must be '<raw name column>,{_HEADER[0]},{_HEADER[1]}', got {header!r}",
                path=source,
            )
        for line, row in enumerate(rows, start=2):
            if not row:
                continue
            if len(row) != 3:
                raise ConfigError(f"{source}:{line}: expected 3 columns, got {row!r}", path=source)
            try:
                category_id = int(row[2])
            except ValueError as error:
                raise ConfigError(
                    f"{source}:{line}: category id {row[2]!r} is not an integer", path=source
                ) from error
            table[row[0]] = (row[1], category_id)
    return CategoryMapping(table=table, source=source)
