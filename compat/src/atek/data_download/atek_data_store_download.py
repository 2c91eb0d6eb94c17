"""``atek.data_download.atek_data_store_download``: the original downloader function, from atek-store.

``download_atek_wds_sequences`` takes the original's arguments in its positional order, which the
original's ``tools/atek_wds_data_downloader.py`` relies on, and writes the same folder (the same
sequences and split for the same seed, the same shards and YAML lists), with atek-store's
parallel, resumable, sha1-verified transfers. Unlike the original it raises when shards failed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from atek_store import download_atek_wds_sequences as _download
from atek_store import settings
from atek_store.download import ConsoleProgress, DownloadReport

__all__ = ["download_atek_wds_sequences"]


def download_atek_wds_sequences(
    config_name: str,
    input_json_path: str | Path,
    train_val_split_ratio: float,
    random_seed: int,
    output_folder_path: str | Path,
    max_num_sequences: int | None = None,
    download_wds_to_local: bool = False,
    train_val_split_json_path: str | Path | None = None,
    overwrite: bool = False,
    **options: Any,
) -> DownloadReport:
    """Select sequences of ``config_name`` from a URL JSON and download them (or write streamable lists).

    ``options`` are atek-store's keyword-only extras (``workers``, ``retries``, ``timeout``,
    ``stable_selection``, ``progress``, ...). Progress goes to stderr unless ``progress`` is given.

    Returns:
        The download report (the original returned None).

    Raises:
        ManifestError, UsageError: bad input; nothing was written.
        UrlsExpiredError: the signed URLs expired; download a fresh JSON and call again.
        TransferError: some shards failed (the YAMLs list the verified ones); call again to retry.
    """
    if "progress" not in options:
        options["progress"] = ConsoleProgress(
            bar=False if settings.progress_disabled() else None, stream=sys.stderr
        )
    return _download(
        config_name=config_name,
        input_json_path=input_json_path,
        output_folder_path=output_folder_path,
        max_num_sequences=max_num_sequences,
        train_val_split_ratio=train_val_split_ratio,
        random_seed=random_seed,
        download_wds_to_local=download_wds_to_local,
        overwrite=overwrite,
        train_val_split_json_path=train_val_split_json_path,
        **options,
    )
