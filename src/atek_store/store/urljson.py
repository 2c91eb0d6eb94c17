"""Write the URL JSON (``<Dataset>_ATEK_download_urls.json``) in the real store's format.

The structure (ATEK_FORMAT.md section 1)::

    {"raw_dataset_name": ..., "raw_dataset_release_version": ...,
     "atek_data_for_all_configs": {<config>: {"wds_file_urls": {<sequence>: {"shards-0000_tar": {
         "filename": "<dataset>_ATEK_<config>_<sequence>_shards-0000.tar",
         "sha1sum": ..., "file_size_bytes": ..., "download_url": ...}}}}}}

The file appears complete or not at all: it is written under a temporary name in the same folder,
flushed to disk, then renamed over the target.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from atek_store.atomic import atomic_write_text
from atek_store.errors import StoreError
from atek_store.store.layout import StoreShard, shard_key
from atek_store.store.shardcheck import ShardDigest

__all__ = ["PublishedShard", "build_url_json", "shard_filename", "write_json_atomically"]


@dataclass(frozen=True)
class PublishedShard:
    """A checked shard and the URL it is published at."""

    shard: StoreShard
    digest: ShardDigest
    url: str


def shard_filename(dataset_name: str, shard: StoreShard) -> str:
    """The ``filename`` field: ``<dataset>_ATEK_<config>_<sequence>_shards-NNNN.tar``."""
    return f"{dataset_name}_ATEK_{shard.config}_{shard.sequence}_{shard.file_name}"


def build_url_json(
    *, dataset_name: str, release_version: str, published: Iterable[PublishedShard]
) -> dict[str, Any]:
    """The URL JSON document for all configs of one dataset, in config/sequence/shard order."""
    configs: dict[str, Any] = {}
    for item in sorted(published, key=lambda p: p.shard):
        shard = item.shard
        sequences = configs.setdefault(shard.config, {"wds_file_urls": {}})["wds_file_urls"]
        sequences.setdefault(shard.sequence, {})[shard_key(shard.file_name)] = {
            "filename": shard_filename(dataset_name, shard),
            "sha1sum": item.digest.sha1,
            "file_size_bytes": item.digest.size,
            "download_url": item.url,
        }
    return {
        "raw_dataset_name": dataset_name,
        "raw_dataset_release_version": release_version,
        "atek_data_for_all_configs": configs,
    }


def write_json_atomically(path: Path, document: dict[str, Any]) -> None:
    """Write ``document`` to ``path`` so that readers see the old file or the whole new one.

    Raises:
        StoreError: the folder cannot be created or written.
    """
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)
    except OSError as error:
        raise StoreError(
            f"cannot write the URL JSON {path}: {error.strerror or error}", path=str(path)
        ) from error
