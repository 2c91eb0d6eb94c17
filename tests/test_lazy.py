"""Packages resolve their public names on first use: importing one loads no torch or numpy."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.cli.startup_commands import HEAVY


def _heavy_after(code: str) -> list[str]:
    script = textwrap.dedent(code) + textwrap.dedent(
        f"""
        import sys
        print(sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r})))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return eval(done.stdout.strip())  # noqa: S307 - our own child's repr of a list of names


def test_importing_every_package_loads_nothing_heavy() -> None:
    code = """
        import importlib, pkgutil, atek_store
        for info in pkgutil.iter_modules(atek_store.__path__):
            if info.ispkg:
                importlib.import_module("atek_store." + info.name)
        """
    assert _heavy_after(code) == []


def test_a_name_loads_only_what_its_module_needs() -> None:
    assert (
        _heavy_after("from atek_store import download_atek_wds_sequences, load_manifest, publish_store") == []
    )
    assert "torch" in _heavy_after("from atek_store import create_native_atek_dataloader")


def test_a_resolved_name_is_the_defining_modules_object() -> None:
    import atek_store
    from atek_store.loading.dataloader import AtekDataLoader

    assert atek_store.AtekDataLoader is AtekDataLoader
    assert "AtekDataLoader" in dir(atek_store)
