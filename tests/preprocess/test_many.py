"""Many sequences: in parallel on a real local Ray, resumable, failures reported, store layout."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from atek_store.errors import UsageError
from atek_store.format import iter_shard
from atek_store.preprocess import find_sequences, preprocess_many
from atek_store.preprocess.many import MARKER_NAME
from tests.preprocess.conftest import needs_aria

pytestmark = needs_aria


@pytest.fixture
def raw_root(tmp_path: Path, adt_sequence: Path) -> Path:
    """Two copies of the test sequence (symlinks) and one broken recording."""
    root = tmp_path / "raw"
    root.mkdir()
    (root / "seq_a").symlink_to(adt_sequence)
    (root / "seq_b").symlink_to(adt_sequence)
    broken = root / "seq_broken"  # everything there, but its recording is not a VRS file
    broken.mkdir()
    for entry in adt_sequence.iterdir():
        if entry.name != "video.vrs":
            (broken / entry.name).symlink_to(entry)
    (broken / "video.vrs").write_bytes(b"not a vrs file")
    (root / "notes").mkdir()  # not a recording: ignored
    return root


@pytest.fixture
def efm_short(shared_dir: Path) -> Path:
    return shared_dir / "golden" / "adt_efm_short_config.yaml"


def _report(output: Path) -> dict[str, object]:
    content = json.loads((output / "preprocess_report_efm.json").read_text())
    assert isinstance(content, dict)
    return content


def test_sequences_run_in_parallel_on_ray_and_failures_are_reported(
    raw_root: Path, efm_short: Path, adt_mapping: Path, tmp_path: Path
) -> None:
    output = tmp_path / "store"
    seen: list[tuple[str, int, int]] = []
    result = preprocess_many(
        efm_short,
        raw_root,
        output_root=output,
        category_mapping=adt_mapping,
        num_cpus=2,
        progress=lambda outcome, done, total: seen.append((outcome.sequence_name, done, total)),
    )
    assert {o.sequence_name: o.status for o in result.outcomes} == {
        "seq_a": "done",
        "seq_b": "done",
        "seq_broken": "failed",
    }
    (broken,) = result.failed
    assert broken.error.startswith("RawDataError")
    assert "cannot open the VRS file" in broken.error
    assert sorted(name for name, _, _ in seen) == ["seq_a", "seq_b", "seq_broken"]
    assert [done for _, done, _ in seen] == [1, 2, 3]
    assert {total for _, _, total in seen} == {3}
    for name in ("seq_a", "seq_b"):
        folder = output / "efm" / name
        samples = list(iter_shard(folder / "shards-0000.tar"))
        assert [s["sequence_name"] for s in samples] == [name, name]
        marker = json.loads((folder / MARKER_NAME).read_text())
        assert marker["samples"] == 2
        assert marker["shards"][0]["name"] == "shards-0000.tar"
    report = _report(output)
    assert report["counts"] == {"done": 2, "failed": 1, "skipped": 0}
    assert result.report_path == output / "preprocess_report_efm.json"


def test_a_rerun_skips_finished_sequences_and_redoes_unfinished_ones(
    raw_root: Path, efm_short: Path, adt_mapping: Path, tmp_path: Path
) -> None:
    output = tmp_path / "store"
    preprocess_many(efm_short, raw_root, output_root=output, category_mapping=adt_mapping, use_ray=False)
    shard_a = output / "efm" / "seq_a" / "shards-0000.tar"
    before = shard_a.stat().st_mtime_ns
    # seq_b crashed after writing a shard but before its marker; a stale extra shard is lying around
    (output / "efm" / "seq_b" / MARKER_NAME).unlink()
    (output / "efm" / "seq_b" / "shards-0003.tar").write_bytes(b"stale")
    again = preprocess_many(
        efm_short, raw_root, output_root=output, category_mapping=adt_mapping, use_ray=False
    )
    assert {o.sequence_name: o.status for o in again.outcomes} == {
        "seq_a": "skipped",
        "seq_b": "done",
        "seq_broken": "failed",
    }
    assert shard_a.stat().st_mtime_ns == before
    assert sorted(p.name for p in (output / "efm" / "seq_b").iterdir()) == [MARKER_NAME, "shards-0000.tar"]
    assert _report(output)["counts"] == {"done": 1, "failed": 1, "skipped": 1}


def test_output_of_another_configuration_is_not_taken_for_finished(
    raw_root: Path, efm_short: Path, adt_mapping: Path, tmp_path: Path
) -> None:
    output = tmp_path / "store"
    preprocess_many(
        efm_short,
        raw_root,
        output_root=output,
        category_mapping=adt_mapping,
        sequences=["seq_a"],
        use_ray=False,
    )
    # the same config without the category mapping makes different samples
    result = preprocess_many(efm_short, raw_root, output_root=output, sequences=["seq_a"], use_ray=False)
    (outcome,) = result.outcomes
    assert outcome.status == "failed"
    assert "another configuration" in outcome.error


def test_a_finished_marker_without_its_shards_is_redone(
    raw_root: Path, efm_short: Path, adt_mapping: Path, tmp_path: Path
) -> None:
    output = tmp_path / "store"
    kwargs = {
        "output_root": output,
        "category_mapping": adt_mapping,
        "sequences": ["seq_a"],
        "use_ray": False,
    }
    preprocess_many(efm_short, raw_root, **kwargs)  # type: ignore[arg-type]
    os.remove(output / "efm" / "seq_a" / "shards-0000.tar")
    (outcome,) = preprocess_many(efm_short, raw_root, **kwargs).outcomes  # type: ignore[arg-type]
    assert outcome.status == "done"
    assert (output / "efm" / "seq_a" / "shards-0000.tar").is_file()


def test_sequences_are_found_and_chosen_by_name(raw_root: Path, efm_short: Path, tmp_path: Path) -> None:
    assert [name for name, _ in find_sequences(raw_root)] == ["seq_a", "seq_b", "seq_broken"]
    with pytest.raises(UsageError, match="seq_z"):
        preprocess_many(efm_short, raw_root, output_root=tmp_path, sequences=["seq_z"], use_ray=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UsageError, match="no raw sequence"):
        preprocess_many(efm_short, empty, output_root=tmp_path, use_ray=False)


def test_the_output_root_is_publishable_as_a_store(
    raw_root: Path, efm_short: Path, adt_mapping: Path, tmp_path: Path
) -> None:
    from atek_store.manifest import load_manifest
    from atek_store.store import publish_store

    output = tmp_path / "store"
    preprocess_many(efm_short, raw_root, output_root=output, category_mapping=adt_mapping, use_ray=False)
    report = publish_store(
        output, dataset_name="AriaDigitalTwin", out=tmp_path / "urls.json", base_url="http://127.0.0.1:1/"
    )
    assert (report.configs, report.sequences, report.shards) == (("efm",), 2, 2)
    manifest = load_manifest(tmp_path / "urls.json")
    assert sorted(manifest.config("efm").sequences) == ["seq_a", "seq_b"]
