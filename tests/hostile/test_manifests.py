"""Hostile URL JSONs and split JSONs: our own error and exit 2 within seconds, bounded memory, short messages.

Every case runs through the real command line (``list`` and ``download``) in one child process
under a time and address-space bound; nothing may be written and no traceback printed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from atek_store.untrusted import MAX_INPUT_BYTES
from tests.hostile.bounded_cli import CliCase, assert_refused_cleanly, run_cli_cases

SHA1 = "0" * 40
URL = "https://cdn.example/efm/seq_a/shards-0000.tar"
MAX_RSS_MB = 500


def shard(url: str = URL, size: object = 10) -> dict[str, Any]:
    return {"sha1sum": SHA1, "file_size_bytes": size, "download_url": url}


def document(sequences: dict[str, Any]) -> dict[str, Any]:
    return {"atek_data_for_all_configs": {"efm": {"wds_file_urls": sequences}}}


def valid_text() -> str:
    return json.dumps(
        document({"seq_a": {"shards-0000_tar": shard()}, "seq_b": {"shards-0000_tar": shard()}})
    )


def hostile_jsons(folder: Path) -> dict[str, tuple[bytes, tuple[str, ...]]]:
    """name -> (file bytes, what the message must say)."""
    valid = valid_text()
    deep = "[" * 100_000 + "]" * 100_000
    return {
        "deep_nesting": (f'{{"atek_data_for_all_configs": {deep}}}'.encode(), ("nested deeper",)),
        "not_utf8": (valid.replace("seq_a", "seq_\xe9").encode("latin-1"), ("not UTF-8",)),
        "nan_size": (valid.replace('"file_size_bytes": 10', '"file_size_bytes": NaN', 1).encode(), ("NaN",)),
        "infinite_size": (
            valid.replace('"file_size_bytes": 10', '"file_size_bytes": -Infinity', 1).encode(),
            ("-Infinity",),
        ),
        "huge_integer": (
            valid.replace('"file_size_bytes": 10', '"file_size_bytes": 1' + "0" * 50_000, 1).encode(),
            ("integer of 50,001 digits",),
        ),
        "size_past_2_63": (
            valid.replace('"file_size_bytes": 10', f'"file_size_bytes": {10**30}', 1).encode(),
            ("file_size_bytes", "2**63"),
        ),
        "duplicate_sequence": (
            valid.replace('"seq_b"', '"seq_a"').encode(),
            ("'seq_a' appears twice",),
        ),
        "duplicate_sha1": (
            valid.replace(
                f'"sha1sum": "{SHA1}"', f'"sha1sum": "{SHA1}", "sha1sum": "{"1" * 40}"', 1
            ).encode(),
            ("'sha1sum' appears twice",),
        ),
        "unclosed_ipv6_url": (
            valid.replace(URL, "http://[::1", 1).encode(),
            ("shard 'shards-0000_tar'", "[::1"),
        ),
        "port_out_of_range": (valid.replace(URL, "http://cdn:99999/x.tar", 1).encode(), ("not a valid URL",)),
        "url_without_host": (valid.replace(URL, "https:///x.tar", 1).encode(), ("names no host",)),
        "lone_surrogate_name": (valid.replace('"seq_a"', '"seq_\\ud800"').encode(), ("lone surrogate",)),
        "megabyte_name": (valid.replace('"seq_a"', '"' + "n" * 1_000_000 + '"').encode(), ("longer than",)),
        "megabyte_url": (valid.replace(URL, "ftp://" + "u" * 1_000_000, 1).encode(), ("http or https",)),
        "top_level_list": (b"[" + b"1," * 200_000 + b"1]", ("top level",)),
    }


def cases_for(path: Path, out: Path) -> dict[str, list[str]]:
    download = ["download", "--config-name", "efm", "--input-json-path", str(path)]
    return {
        "list": ["list", str(path)],
        "download": [*download, "--output-folder-path", str(out), "--download-wds-to-local"],
    }


def check_all(cases: dict[str, CliCase], needles: dict[str, tuple[str, ...]]) -> None:
    for name, case in cases.items():
        assert_refused_cleanly(case, *needles[name])


def test_hostile_url_jsons_are_refused_with_our_error_in_bounded_time_and_memory(tmp_path: Path) -> None:
    argvs: dict[str, list[str]] = {}
    needles: dict[str, tuple[str, ...]] = {}
    for name, (content, says) in hostile_jsons(tmp_path).items():
        path = tmp_path / f"{name}.json"
        path.write_bytes(content)
        for command, argv in cases_for(path, tmp_path / f"out_{name}").items():
            argvs[f"{name}/{command}"] = argv
            needles[f"{name}/{command}"] = says
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as handle:
        handle.truncate(MAX_INPUT_BYTES + 1)  # sparse: refused on its size before a byte is read
    for command, argv in cases_for(huge, tmp_path / "out_huge").items():
        argvs[f"huge/{command}"] = argv
        needles[f"huge/{command}"] = (f"{MAX_INPUT_BYTES + 1:,} bytes",)
    if os.path.exists("/dev/zero"):
        for command, argv in cases_for(Path("/dev/zero"), tmp_path / "out_zero").items():
            argvs[f"device/{command}"] = argv
            needles[f"device/{command}"] = ("not a regular file",)
    # The bounds refuse hostile files only: the same document without a fault goes through.
    valid = tmp_path / "valid.json"
    valid.write_text(valid_text())
    fine = cases_for(valid, tmp_path / "out_valid")
    fine["download"] = [*fine["download"], "--dry-run"]
    argvs.update({f"valid/{command}": argv for command, argv in fine.items()})
    run, cases = run_cli_cases(argvs)
    for command in fine:
        assert cases.pop(f"valid/{command}").code == 0
    check_all(cases, needles)
    assert run.peak_rss_mb < MAX_RSS_MB
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("out_")]


def test_hostile_split_jsons_are_refused_naming_the_flag(tmp_path: Path) -> None:
    urls = tmp_path / "urls.json"
    urls.write_text(valid_text())
    splits = {
        "deep": ("[" * 100_000 + "]" * 100_000, ("nested deeper",)),
        "duplicate_list": (
            '{"train_sequences": ["seq_a"], "val_sequences": [], "train_sequences": ["seq_b"]}',
            ("'train_sequences' appears twice",),
        ),
        "nan": ('{"train_sequences": [NaN], "val_sequences": []}', ("NaN",)),
        "not_a_list": ('{"train_sequences": "seq_a", "val_sequences": []}', ("list of sequence names",)),
        "matches_nothing": (
            '{"train_sequences": ["ghost_1", "ghost_2"], "val_sequences": ["ghost_3"]}',
            ("none of its 3 sequences", "ghost_1, ghost_2, ghost_3"),
        ),
        "empty_lists": ('{"train_sequences": [], "val_sequences": []}', ("both empty",)),
    }
    argvs: dict[str, list[str]] = {}
    for name, (text, _) in splits.items():
        split = tmp_path / f"{name}.json"
        split.write_text(text)
        argvs[name] = [
            "download",
            "--config-name",
            "efm",
            "--input-json-path",
            str(urls),
            "--output-folder-path",
            str(tmp_path / f"out_{name}"),
            "--train-val-split-json-path",
            str(split),
        ]
    run, cases = run_cli_cases(argvs)
    check_all(cases, {name: says for name, (_, says) in splits.items()})
    assert run.peak_rss_mb < MAX_RSS_MB
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("out_")]
