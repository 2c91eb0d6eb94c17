"""State records: a verified file is proven by (size, mtime, sha1) without reading it."""

from __future__ import annotations

import os
from pathlib import Path

from atek_store.download.state import StateJournal
from atek_store.manifest import ShardEntry


def make(folder: Path, content: bytes = b"abc") -> ShardEntry:
    (folder / "seq").mkdir(exist_ok=True)
    (folder / "seq" / "shards-0000.tar").write_bytes(content)
    return ShardEntry("seq", "shards-0000_tar", "shards-0000.tar", "1" * 40, len(content), "https://h/x")


def test_record_proves_the_file_until_it_changes(tmp_path: Path) -> None:
    shard = make(tmp_path)
    journal = StateJournal(tmp_path)
    journal.record(shard)
    again = StateJournal(tmp_path).load()
    assert again.proves(shard)
    path = tmp_path / shard.relpath
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert not StateJournal(tmp_path).load().proves(shard)


def test_a_new_sha1_in_the_json_is_not_proven(tmp_path: Path) -> None:
    shard = make(tmp_path)
    StateJournal(tmp_path).record(shard)
    changed = ShardEntry(shard.sequence, shard.key, shard.file_name, "2" * 40, shard.size, shard.url)
    assert not StateJournal(tmp_path).load().proves(changed)


def test_torn_last_line_is_ignored_and_compact_drops_missing_files(tmp_path: Path) -> None:
    shard = make(tmp_path)
    journal = StateJournal(tmp_path)
    journal.record(shard)
    with open(journal.path, "a") as handle:
        handle.write('{"relpath": "seq/gone.tar", "size": 3, "mtime_ns": 1, "sha1": "')
    with open(journal.path, "a") as handle:
        handle.write('\n{"relpath": "seq/gone.tar", "size": 3, "mtime_ns": 1, "sha1": "x"}\n')
    loaded = StateJournal(tmp_path).load()
    assert set(loaded.records) == {"seq/shards-0000.tar", "seq/gone.tar"}
    loaded.compact()
    assert set(StateJournal(tmp_path).load().records) == {"seq/shards-0000.tar"}
    assert journal.path.read_text().count("\n") == 1
