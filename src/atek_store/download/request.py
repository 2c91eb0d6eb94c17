"""What a download is asked to do: one frozen record, validated once, carried from the CLI to the plan.

The command line and :func:`~atek_store.download.api.download_atek_wds_sequences` both build a
:class:`DownloadRequest`; the plan, the transfers and the report read their parameters from it and
nowhere else, so a value is checked in exactly one place (``__post_init__``) and cannot be passed in
the wrong position further down.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from atek_store.errors import UsageError
from atek_store.selection import check_ratio

__all__ = ["MAX_WORKERS", "DownloadRequest", "as_path"]

# More parallel transfers than this only add connections the server will throttle.
MAX_WORKERS = 256


def _check_int(value: object, flag: str, *, minimum: int | None = None) -> None:
    # bool is an int in Python; ``--workers True`` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{flag} must be an integer, got {value!r}", flag=flag)
    if minimum is not None and value < minimum:
        raise UsageError(f"{flag} must be at least {minimum}, got {value}", flag=flag)


def as_path(value: object, flag: str) -> Path:
    """``value`` (a ``str`` or path-like) as a :class:`~pathlib.Path`.

    Raises:
        UsageError: it is missing, not a path, empty, or holds a NUL character.
    """
    if not isinstance(value, str | os.PathLike):
        raise UsageError(f"{flag} must be a path, got {type(value).__name__} {value!r}", flag=flag)
    text = os.fspath(value)
    if not isinstance(text, str) or not text or "\x00" in text:
        raise UsageError(f"{flag} must be a non-empty path without NUL characters, got {value!r}", flag=flag)
    return Path(text)


@dataclass(frozen=True, kw_only=True)
class DownloadRequest:
    """The parameters of one download run (the original's nine, then ours).

    Attributes:
        config_name: the config under ``atek_data_for_all_configs`` (``efm``, ``cubercnn``, ...);
            ``None`` is refused by the plan with the list of configs the JSON offers.
        input_json_path: the ``*_ATEK_download_urls.json``.
        output_folder_path: where shards, YAML lists and the report go.
        train_val_split_ratio: fraction of the selected sequences that go to train, in [0, 1].
        random_seed: seed of the sequence shuffle.
        max_num_sequences: keep the first K after the shuffle; ``None``, 0 or negative keeps all.
        download_wds_to_local: fetch the shards; otherwise only write streamable YAMLs of URLs.
        train_val_split_json_path: a JSON whose name lists decide the split instead of the ratio.
        overwrite: fetch every shard again, even verified ones.
        stable_selection: the hash-ranked selection rule instead of the original's shuffle.
        allow_file_urls: accept ``file://`` URLs (local stores).
        workers: parallel transfers (1 to 256).
        retries: retries per shard without progress (0 or more).
        timeout: seconds to wait to connect or for the next bytes (positive, finite).
    """

    config_name: str | None
    input_json_path: Path
    output_folder_path: Path
    train_val_split_ratio: float = 0.9
    random_seed: int = 42
    max_num_sequences: int | None = None
    download_wds_to_local: bool = False
    train_val_split_json_path: Path | None = None
    overwrite: bool = False
    stable_selection: bool = False
    allow_file_urls: bool = False
    workers: int = 8
    retries: int = 5
    timeout: float = 30.0

    def __post_init__(self) -> None:
        """Refuse out-of-range or mistyped values with the flag that carries them.

        Raises:
            UsageError: naming the flag and the value.
        """
        if self.config_name is not None and not isinstance(self.config_name, str):
            raise UsageError(
                f"--config-name must be a string, got {self.config_name!r}", flag="--config-name"
            )
        # A str is accepted and stored as the Path it names.
        object.__setattr__(self, "input_json_path", as_path(self.input_json_path, "--input-json-path"))
        object.__setattr__(
            self, "output_folder_path", as_path(self.output_folder_path, "--output-folder-path")
        )
        if self.train_val_split_json_path is not None:
            split = as_path(self.train_val_split_json_path, "--train-val-split-json-path")
            object.__setattr__(self, "train_val_split_json_path", split)
        ratio = self.train_val_split_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, int | float):
            raise UsageError(
                f"--train-val-split-ratio must be a number, got {ratio!r}", flag="--train-val-split-ratio"
            )
        check_ratio(float(ratio))
        _check_int(self.random_seed, "--random-seed")
        if self.max_num_sequences is not None:
            _check_int(self.max_num_sequences, "--max-num-sequences")
        _check_int(self.workers, "--workers", minimum=1)
        if self.workers > MAX_WORKERS:
            raise UsageError(f"--workers must be at most {MAX_WORKERS}, got {self.workers}", flag="--workers")
        _check_int(self.retries, "--retries", minimum=0)
        timeout = self.timeout
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not math.isfinite(timeout):
            raise UsageError(
                f"--timeout must be a finite number of seconds, got {timeout!r}", flag="--timeout"
            )
        if timeout <= 0:
            raise UsageError(f"--timeout must be positive, got {timeout}", flag="--timeout")
        for flag, value in (
            ("--download-wds-to-local", self.download_wds_to_local),
            ("--overwrite", self.overwrite),
            ("--stable-selection", self.stable_selection),
            ("--allow-file-urls", self.allow_file_urls),
        ):
            if not isinstance(value, bool):
                raise UsageError(f"{flag} must be True or False, got {value!r}", flag=flag)

    @property
    def mode(self) -> str:
        """``"local"`` when shards are fetched, ``"streamable"`` when only URL lists are written."""
        return "local" if self.download_wds_to_local else "streamable"
