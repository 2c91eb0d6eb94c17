"""``atek``: the original ATEK's import package, served by atek-store (distribution ``atek-store-compat``).

Install this instead of ``projectaria-atek``, not beside it: both distributions provide the
import package ``atek``, and which one ``import atek`` finds would depend on the install order.
Importing it while ``projectaria-atek`` is installed raises
:class:`~atek_store.errors.PackageClashError`. The modules mirror the original's paths and names
that downstream code imports (EFM3D's readers, the original's tools and documented examples);
each is a thin re-export of atek-store (see ``compat/README.md`` for the list and the limits).
"""

from __future__ import annotations

from importlib import metadata

from atek_store.errors import PackageClashError

__all__: list[str] = []

_ORIGINAL = "projectaria-atek"


def _refuse_the_original_beside_us() -> None:
    try:
        original = metadata.distribution(_ORIGINAL)
    except metadata.PackageNotFoundError:
        return
    raise PackageClashError(
        f"{_ORIGINAL} {original.version} is installed as well as atek-store-compat, and both provide the "
        "import package 'atek', so which one 'import atek' gets depends on install order. Keep one: "
        f"'pip uninstall {_ORIGINAL}' to use atek-store (same module paths and names), or "
        "'pip uninstall atek-store-compat' to keep the original",
        distribution=_ORIGINAL,
        location=str(original.locate_file("")),
    )


_refuse_the_original_beside_us()
