"""The download request: one record, validated once, built the same way by the API and the CLI."""

from __future__ import annotations

import inspect
import math
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atek_store.cli import build_parser, main
from atek_store.cli.download import build_request
from atek_store.download.api import download_atek_wds_sequences
from atek_store.download.request import DownloadRequest
from atek_store.errors import UsageError

# The original's signature, in its order (atek/data_download/atek_data_store_download.py).
ORIGINAL = [
    ("config_name", inspect.Parameter.empty),
    ("input_json_path", inspect.Parameter.empty),
    ("train_val_split_ratio", inspect.Parameter.empty),
    ("random_seed", inspect.Parameter.empty),
    ("output_folder_path", inspect.Parameter.empty),
    ("max_num_sequences", None),
    ("download_wds_to_local", False),
    ("train_val_split_json_path", None),
    ("overwrite", False),
]


def request(**changes: Any) -> DownloadRequest:
    base: dict[str, Any] = {
        "config_name": "efm",
        "input_json_path": Path("urls.json"),
        "output_folder_path": Path("out"),
    }
    return DownloadRequest(**{**base, **changes})


def test_the_api_keeps_the_originals_positional_order_and_defaults() -> None:
    parameters = list(inspect.signature(download_atek_wds_sequences).parameters.values())
    positional = [p for p in parameters if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    assert [(p.name, p.default) for p in positional] == ORIGINAL
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters[len(ORIGINAL) :])


def test_every_request_field_is_an_api_parameter_and_a_cli_flag(capsys: pytest.CaptureFixture[str]) -> None:
    names = [field.name for field in fields(DownloadRequest)]
    assert set(names) <= set(inspect.signature(download_atek_wds_sequences).parameters)
    with pytest.raises(SystemExit):
        main(["download", "--help"])
    download_help = capsys.readouterr().out
    for name in names:
        assert f"--{name.replace('_', '-')}" in download_help


def test_the_cli_builds_the_record_the_api_would() -> None:
    argv = [
        "download",
        "--config-name",
        "efm",
        "--input-json-path",
        "urls.json",
        "--output-folder-path",
        "out",
        "--max-num-sequences",
        "10",
        "--train-val-split-ratio",
        "0.8",
        "--random-seed",
        "7",
        "--download-wds-to-local",
        "--train-val-split-json-path",
        "split.json",
        "--workers",
        "3",
        "--timeout",
        "2.5",
    ]
    assert build_request(build_parser().parse_args(argv)) == request(
        max_num_sequences=10,
        train_val_split_ratio=0.8,
        random_seed=7,
        download_wds_to_local=True,
        train_val_split_json_path=Path("split.json"),
        workers=3,
        timeout=2.5,
    )


@pytest.mark.parametrize(
    ("changes", "flag"),
    [
        ({"train_val_split_ratio": 1.5}, "--train-val-split-ratio"),
        ({"train_val_split_ratio": math.nan}, "--train-val-split-ratio"),
        ({"train_val_split_ratio": "0.5"}, "--train-val-split-ratio"),
        ({"random_seed": 4.2}, "--random-seed"),
        ({"random_seed": True}, "--random-seed"),
        ({"max_num_sequences": "3"}, "--max-num-sequences"),
        ({"workers": 0}, "--workers"),
        ({"workers": 100_000}, "--workers"),
        ({"retries": -1}, "--retries"),
        ({"timeout": 0}, "--timeout"),
        ({"timeout": math.inf}, "--timeout"),
        ({"input_json_path": None}, "--input-json-path"),
        ({"input_json_path": ""}, "--input-json-path"),
        ({"output_folder_path": Path("a\x00b")}, "--output-folder-path"),
        ({"download_wds_to_local": 1}, "--download-wds-to-local"),
        ({"config_name": 3}, "--config-name"),
    ],
)
def test_a_bad_value_is_refused_naming_its_flag(changes: dict[str, Any], flag: str) -> None:
    with pytest.raises(UsageError, match=flag) as info:
        request(**changes)
    assert info.value.flag == flag


def test_the_api_validates_through_the_record_before_reading_anything(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--workers"):
        download_atek_wds_sequences("efm", tmp_path / "missing.json", 0.9, 42, tmp_path / "out", workers=0)
    with pytest.raises(UsageError, match="--output-folder-path"):
        download_atek_wds_sequences("efm", tmp_path / "missing.json", 0.9, 42, None)  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


def test_a_string_path_is_kept_as_a_path() -> None:
    assert request(input_json_path="urls.json").input_json_path == Path("urls.json")


@given(
    ratio=st.floats(allow_nan=True, allow_infinity=True),
    workers=st.integers(min_value=-5, max_value=300),
    timeout=st.floats(allow_nan=True, allow_infinity=True),
)
def test_a_request_either_holds_valid_values_or_is_refused(
    ratio: float, workers: int, timeout: float
) -> None:
    try:
        made = request(train_val_split_ratio=ratio, workers=workers, timeout=timeout)
    except UsageError:
        return
    assert 0.0 <= made.train_val_split_ratio <= 1.0
    assert 1 <= made.workers <= 256
    assert math.isfinite(made.timeout)
    assert made.timeout > 0
