"""Hostile shard-list YAMLs: our ShardListError within seconds, bounded memory, messages that stay short.

The cases are read by :func:`load_yaml_and_extract_tar_list` (what the loader and ``verify`` call)
in one child process under a time and address-space bound.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from atek_store.untrusted import MAX_INPUT_BYTES
from tests.bounded import run_bounded

MAX_RSS_MB = 500

_CHILD = """
import json, time
from atek_store.errors import AtekStoreError
from atek_store.shardlists import load_yaml_and_extract_tar_list
result = {{}}
for name, path in json.loads({paths!r}).items():
    started = time.monotonic()
    try:
        entries = load_yaml_and_extract_tar_list(path)
        outcome = {{"ours": None, "message": f"{{len(entries)}} entries"}}
    except AtekStoreError as error:
        outcome = {{"ours": type(error).__name__, "message": str(error)}}
    except BaseException as error:  # noqa: BLE001 - not ours: the test reports it
        outcome = {{"ours": False, "message": f"{{type(error).__name__}}: {{str(error)[:300]}}"}}
    outcome["chars"] = len(outcome["message"])
    outcome["message"] = outcome["message"][:2000]
    outcome["seconds"] = time.monotonic() - started
    result[name] = outcome
"""


def alias_bomb(levels: int = 12) -> str:
    """The billion-laughs shape: each level lists the previous one nine times (9**12 strings)."""
    lines = ['l0: &l0 ["x.tar", "x.tar", "x.tar", "x.tar", "x.tar", "x.tar", "x.tar", "x.tar", "x.tar"]']
    for level in range(1, levels + 1):
        previous = f"*l{level - 1}"
        lines.append(f"l{level}: &l{level} [{', '.join([previous] * 9)}]")
    lines.append(f"tars: {{seq: *l{levels}}}")
    return "\n".join(lines) + "\n"


def hostile_lists() -> dict[str, tuple[bytes, str]]:
    """name -> (file bytes, what the message must say)."""
    deep_flow = "tars:\n  a: " + "[" * 100_000 + "]" * 100_000 + "\n"
    deep_block = "tars:\n" + "".join("  " * i + "- \n" for i in range(1, 3000))
    return {
        # libyaml stops flow nesting at 1000 levels itself; the pure-Python parser reaches our cap.
        "deep_flow": (deep_flow.encode(), "nest"),
        "deep_block": (deep_block.encode(), "nested deeper than 8 levels"),
        "alias_bomb": (alias_bomb().encode(), "alias *l0 refused"),
        "not_utf8": ("tars:\n  seq_\xe9:\n  - a.tar\n".encode("latin-1"), "not UTF-8"),
        "two_documents": (b"tars: {}\n---\ntars: {}\n", "more than one YAML document"),
        "python_tag": (b'tars:\n  a: !!python/object/apply:os.system ["x.tar"]\n', "is not allowed"),
        "custom_tag": (b"tars:\n  a: !shards [x.tar]\n", "is not allowed"),
        "huge_integer": (b"tars:\n  a:\n  - 1" + b"0" * 50_000 + b"\n", "a number of 50,001 characters"),
        "duplicate_sequence": (b"tars:\n  a: [x.tar]\n  a: [y.tar]\n", "'a' appears twice"),
        "megabyte_key": (b"tars:\n  ? " + b"k" * 1_000_000 + b"\n  : 3\n", "characters)"),
        "megabyte_entry": (b"tars:\n  a:\n  - s3://" + b"e" * 1_000_000 + b"\n", "unsupported URL scheme"),
        "bad_url": (b"tars:\n  a:\n  - http://[::1\n", "not a valid URL"),
        "unterminated": (b"tars: {a: [\n", "not valid YAML"),
        "complex_key": (b"tars:\n  ? [a, b]\n  : [x.tar]\n", "plain name"),
    }


def test_hostile_shard_lists_raise_our_error_in_bounded_time_and_memory(tmp_path: Path) -> None:
    paths: dict[str, str] = {}
    needles: dict[str, str] = {}
    for name, (content, says) in hostile_lists().items():
        path = tmp_path / f"{name}.yaml"
        path.write_bytes(content)
        paths[name], needles[name] = str(path), says
    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as handle:
        handle.truncate(MAX_INPUT_BYTES + 1)  # sparse: refused on its size before a byte is read
    paths["huge"], needles["huge"] = str(huge), f"{MAX_INPUT_BYTES + 1:,} bytes"
    if os.path.exists("/dev/zero"):
        paths["device"], needles["device"] = "/dev/zero", "not a regular file"
    valid = tmp_path / "local_all_tars.yaml"
    valid.write_text("tars:\n  a:\n  - a/shards-0000.tar\n  b:\n  - https://cdn/b.tar\n")
    paths["valid"] = str(valid)

    run = run_bounded(_CHILD.format(paths=json.dumps(paths)), timeout_s=60)
    assert run.outcome == "returned", run.output
    outcomes = run.value
    assert outcomes.pop("valid")["message"] == "2 entries"
    for name, outcome in outcomes.items():
        assert outcome["ours"] == "ShardListError", (name, outcome)
        assert needles[name] in outcome["message"], (name, outcome["message"])
        assert outcome["chars"] < 2000, (name, outcome["chars"])
        assert outcome["seconds"] < 10, (name, outcome["seconds"])
    assert run.peak_rss_mb < MAX_RSS_MB
