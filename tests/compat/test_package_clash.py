"""Ours and projectaria-atek both own `atek`: importing ours beside the original says which to remove."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

from atek_store.errors import AtekStoreError, PackageClashError


def test_import_beside_projectaria_atek_raises_a_clear_error(tmp_path: Path) -> None:
    # What pip leaves when projectaria-atek is installed: its distribution metadata on sys.path.
    info = tmp_path / "site" / "projectaria_atek-1.0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: projectaria-atek\nVersion: 1.0.0\n")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), os.environ.get("PYTHONPATH", "")]),
    }
    code = (
        "from atek_store.errors import PackageClashError\n"
        "try:\n"
        "    import atek\n"
        "except PackageClashError as error:\n"
        "    print(error.distribution, '|', error)\n"
        "    raise SystemExit(3)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 3, done.stderr
    distribution, _, message = done.stdout.partition(" | ")
    assert distribution == "projectaria-atek"
    assert "projectaria-atek 1.0.0 is installed as well" in message
    assert "'pip uninstall projectaria-atek'" in message
    assert "'pip uninstall atek-store-compat'" in message


def test_the_clash_error_is_an_import_error_that_pickles() -> None:
    error = PackageClashError("two atek packages", distribution="projectaria-atek", location="/site")
    assert isinstance(error, ImportError)
    assert isinstance(error, AtekStoreError)
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is PackageClashError
    assert (back.distribution, back.location, str(back)) == ("projectaria-atek", "/site", "two atek packages")
