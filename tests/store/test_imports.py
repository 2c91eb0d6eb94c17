"""The store's optional dependencies (aiohttp, boto3) load only when serving or using S3."""

from __future__ import annotations

import subprocess
import sys


def test_importing_atek_store_does_not_need_the_store_extra() -> None:
    code = (
        "import sys, atek_store, atek_store.store; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aiohttp', 'boto3', 'botocore')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]"
