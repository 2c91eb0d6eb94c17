"""A URL JSON whose shards the loopback fault server serves, and the download command line for it."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

from tests.fault_server import FaultServer, LogEntry


@dataclass
class FakeStore:
    """A URL JSON whose shards the server serves: ``data`` maps ``<seq>/shards-NNNN.tar`` to bytes."""

    json_path: Path
    config: str
    data: dict[str, bytes]
    server: FaultServer

    def server_path(self, relpath: str) -> str:
        return f"/{self.config}/{relpath}"

    def requests_for(self, relpath: str) -> list[LogEntry]:
        return self.server.requests_for(self.server_path(relpath))


def shard_bytes(name: str, size: int) -> bytes:
    """Deterministic pseudo-random content for a shard."""
    return random.Random(name).randbytes(size)


def build_store(
    server: FaultServer,
    json_path: Path,
    sequences: dict[str, int],
    *,
    shard_size: int = 64 * 1024,
    config: str = "efm",
    other_configs: tuple[str, ...] = ("cubercnn",),
) -> FakeStore:
    """Serve ``sequences`` (name -> shard count) and write a URL JSON for them to ``json_path``."""
    data: dict[str, bytes] = {}
    urls: dict[str, dict[str, dict[str, object]]] = {}
    for seq, count in sequences.items():
        urls[seq] = {}
        for index in range(count):
            relpath = f"{seq}/shards-{index:04d}.tar"
            body = shard_bytes(f"{config}/{relpath}", shard_size)
            data[relpath] = body
            urls[seq][f"shards-{index:04d}_tar"] = {
                "filename": f"Fake_ATEK_{config}_{seq}_shards-{index:04d}.tar",
                "sha1sum": hashlib.sha1(body, usedforsecurity=False).hexdigest(),
                "file_size_bytes": len(body),
                "download_url": server.add(f"{config}/{relpath}", body),
            }
    configs: dict[str, object] = {config: {"wds_file_urls": urls}}
    for other in other_configs:
        configs[other] = {"wds_file_urls": {}}
    document = {
        "raw_dataset_name": "ADT",
        "raw_dataset_release_version": "test",
        "atek_data_for_all_configs": configs,
    }
    Path(json_path).write_text(json.dumps(document, indent=1))
    return FakeStore(json_path=Path(json_path), config=config, data=data, server=server)


def download_args(
    json_path: Path, out: Path, *extra: str, config: str = "efm", local: bool = True
) -> list[str]:
    """``atek-store download`` arguments for ``config`` into ``out`` (a local download by default)."""
    return [
        "download",
        "--config-name",
        config,
        "--input-json-path",
        str(json_path),
        "--output-folder-path",
        str(out),
        *(["--download-wds-to-local"] if local else []),
        *extra,
    ]
