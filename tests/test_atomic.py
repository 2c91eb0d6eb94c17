"""Atomic writes: the file appears whole, with the permissions asked for from its creation."""

from __future__ import annotations

import os
from pathlib import Path

from atek_store.atomic import atomic_write_bytes, atomic_write_text


def test_a_private_file_is_created_private(tmp_path: Path) -> None:
    # The mode is the temporary file's from its creation (os.replace keeps it): a secret is never
    # readable by others, not even between the write and a later chmod.
    previous = os.umask(0)
    try:
        atomic_write_text(tmp_path / "secret", "s3cret\n", mode=0o600)
        atomic_write_bytes(tmp_path / "plain", b"data")
    finally:
        os.umask(previous)
    assert (tmp_path / "secret").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "secret").read_text() == "s3cret\n"
    assert (tmp_path / "plain").stat().st_mode & 0o777 == 0o666
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain", "secret"]
