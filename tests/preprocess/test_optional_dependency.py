"""``import atek_store`` (and the CLI) work without projectaria-tools, ray or pandas installed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


@pytest.mark.shared  # the child reads ../shared/golden and ../shared/data by path
def test_the_package_imports_without_the_preprocess_extra() -> None:
    script = textwrap.dedent(
        """
        import importlib.abc, sys

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name.split(".")[0] in ("projectaria_tools", "ray", "pandas"):
                    raise ModuleNotFoundError(f"No module named {name!r}")
                return None

        sys.meta_path.insert(0, Block())
        import atek_store, atek_store.preprocess
        from atek_store.cli import build_parser
        build_parser()
        from atek_store.preprocess import load_config, preprocess_sequence
        from atek_store.errors import PreprocessError
        try:
            preprocess_sequence(
                "../shared/golden/adt_efm_short_config.yaml",
                "../shared/data/adt_test_sequence",
                sequence_name="s",
                output_folder="/nonexistent/never",
            )
        except PreprocessError as error:
            assert "pip install 'atek-store[preprocess]'" in str(error), error
        else:
            raise AssertionError("preprocessing ran without projectaria-tools")
        print("ok")
        """
    )
    from tests.conftest import REPO_ROOT

    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO_ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
