"""Every hostile shard ends within seconds in our own error (or a valid sample), under a memory bound.

Each test reads a class of the corpus in one bounded child (:func:`tests.bounded.run_bounded`):
a case that hung or blew up memory would end the child by its time or address-space bound and
fail the test with the name of the case it was reading.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.hostile import tarcraft as T
from tests.hostile.conftest import returned, run_probe

TAR_KINDS = ["header", "pax"]
ALL_KINDS = ["header", "pax", "sample", "jpeg", "json", "tensor", "semidense"]
# A case ends "within seconds": the slowest takes well under 1 s on a quiet machine.
CASE_SECONDS = 10.0


def _failures(results: list[dict[str, Any]], *, decoded: bool) -> list[str]:
    bad = []
    for case in results:
        ours = case["ended"] == "raised" and case["format_error"]
        ok = ours or (case["expect"] == "either" and (case["ended"] == "returned" or case["ours"]))
        if not decoded and case["kind"] not in TAR_KINDS:
            ok = case["ended"] == "returned" or case["ours"]
        if not ok:
            bad.append(f"{case['name']}: {case['ended']} {case.get('type')}: {case.get('message')}")
        elif case["seconds"] > CASE_SECONDS or case.get("message_length", 0) > 2000:
            bad.append(
                f"{case['name']}: {case['seconds']:.1f} s, message of {case.get('message_length')} chars"
            )
    return bad


def _probe(corpus_file: str, kinds: list[str], how: str) -> list[dict[str, Any]]:
    code = "from tests.hostile.probe import probe_cases\n"
    code += f"result = probe_cases({corpus_file!r}, {kinds!r}, {how!r})"
    results: list[dict[str, Any]] = returned(run_probe(code, timeout_s=180))
    return results


def test_every_hostile_tar_ends_in_a_format_error_naming_the_shard(corpus_file: str) -> None:
    results = _probe(corpus_file, TAR_KINDS, "tar")
    assert len(results) >= 35
    assert _failures(results, decoded=False) == []
    for case in results:
        if case["ended"] == "raised":
            assert Path(case["path"]).name in case["message"]


def test_every_hostile_sample_decodes_or_ends_in_our_error(corpus_file: str) -> None:
    results = _probe(corpus_file, ALL_KINDS, "decode")
    assert len(results) >= 80
    assert _failures(results, decoded=True) == []


def test_the_loader_skips_every_hostile_shard_with_handler_warn(
    corpus_file: str, hostile_corpus: list[dict[str, Any]], golden_dir: Path
) -> None:
    good = str(golden_dir / "wds" / "adt_efm_short" / "shards-0000.tar")
    run = run_probe(
        f"from tests.hostile.probe import probe_loader\nresult = probe_loader({corpus_file!r}, {good!r})",
        timeout_s=180,
    )
    result = returned(run)
    assert result["ended"] == "returned", result
    errors = sum(1 for case in hostile_corpus if case["expect"] == "error" and not case["limits"])
    assert result["warnings"] >= errors
    assert result["samples"] >= 2  # the good shard's, at least


def test_streamed_members_are_read_within_what_arrives_and_the_ceiling(tmp_path: Path) -> None:
    key = "s_AtekDataSample_000000"
    (tmp_path / "claims-50MiB.tar").write_bytes(T.header(f"{key}.a.txt", 50 << 20) + b"x" * (8 << 20))
    (tmp_path / "claims-8GiB.tar").write_bytes(T.tar(T.header(f"{key}.a.txt", 8 << 30), b"x" * 4096))
    (tmp_path / "pax-size-minus-1.tar").write_bytes(
        T.tar(T.pax(T.pax_record(b"size", b"-1")), T.member(f"{key}.a.txt", b"x"))
    )
    (tmp_path / "good.tar").write_bytes(T.tar(T.member(f"{key}.a.txt", b"x" * 5000)))
    (tmp_path / "endless-60MiB.tar").write_bytes(T.header(f"{key}.a.txt", 60 << 20))
    (tmp_path / "endless-8GiB.tar").write_bytes(T.header(f"{key}.a.txt", 8 << 30))
    cases = [
        {"file": "claims-50MiB.tar", "cache": True},
        {"file": "claims-8GiB.tar"},
        {"file": "claims-8GiB.tar", "limits": {"max_member_bytes": 16 << 30}},
        {"file": "pax-size-minus-1.tar"},
        {"file": "good.tar", "cache": True},
        {"file": "endless-60MiB.tar", "endless": True},
        {"file": "endless-8GiB.tar", "endless": True},
    ]
    run = run_probe(
        f"from tests.hostile.probe import probe_streams\nresult = probe_streams({str(tmp_path)!r}, {cases})",
        timeout_s=120,
    )
    cut, claims, raised, pax_size, good, endless, endless_claim = returned(run)
    assert cut["type"] == "TruncatedShardError"
    assert cut["cached"] == []  # a shard read in part never enters the cache
    assert cut["peak_after_mb"] - cut["peak_before_mb"] < 64  # what arrived (8 MiB), not what was claimed
    assert claims["type"] == "FormatError"
    assert "max_member_bytes" in claims["message"]
    assert raised["type"] == "TruncatedShardError"  # past a raised ceiling, still only what arrives
    assert raised["peak_after_mb"] - raised["peak_before_mb"] < 64
    assert pax_size["type"] == "FormatError"
    assert "size='-1'" in pax_size["message"]
    assert "secret" not in cut["message"] + claims["message"] + pax_size["message"]
    assert good["ended"] == "returned"
    assert good["samples"] == 1
    assert good["cached"] == ["good.tar"]
    # A server that never stops: a member under the ceiling is read (then the zeros end the
    # archive), one over it is refused at its header; memory follows the member, not the stream.
    assert endless["ended"] == "returned"
    assert endless["samples"] == 1
    assert endless["peak_after_mb"] - endless["peak_before_mb"] < 3 * 64
    assert endless_claim["type"] == "FormatError"
    assert "max_member_bytes" in endless_claim["message"]


def test_commands_on_hostile_input_end_with_one_line_and_exit_code_2(
    hostile_corpus: list[dict[str, Any]], tmp_path: Path
) -> None:
    by_name = {case["name"]: case["path"] for case in hostile_corpus}
    store = tmp_path / "store" / "cfg" / "seq"
    store.mkdir(parents=True)
    (store / "shards-0000.tar").write_bytes(Path(by_name["pax/length-0"]).read_bytes())
    commands = [
        ["inspect", by_name["header/etc-passwd"]],
        ["inspect", "/etc/passwd"]
        if Path("/etc/passwd").is_file()
        else ["inspect", by_name["header/etc-passwd"]],
        ["inspect", "ftp://x/y.tar"],
        ["inspect", str(tmp_path / "missing.tar")],
        ["inspect", by_name["pax/length-0"]],
        ["inspect", by_name["json/200k-deep"], "--json"],
        ["render", by_name["jpeg/60000x60000"], "--out", str(tmp_path / "x.png")],
        ["render", by_name["tensor/zero-stride-2^40"], "--out", str(tmp_path / "y.png")],
        [
            "publish",
            str(tmp_path / "store"),
            "--dataset-name",
            "X",
            "--base-url",
            "http://127.0.0.1:9",
            "--check",
            "tar",
        ],
    ]
    run = run_probe(
        f"from tests.hostile.probe import probe_cli\nresult = probe_cli({commands!r})", timeout_s=120
    )
    for result in returned(run):
        assert result["code"] == 2, result
        lines = result["stderr"].strip().splitlines()
        assert len(lines) == 1, result
        assert lines[0].startswith("atek-store: error: "), result
        assert "Traceback" not in result["stderr"]
    ftp = returned(run)[2]["stderr"]
    assert "scheme 'ftp'" in ftp
    assert "no such file" not in ftp
