"""The front's previews, made once by a child process and cached in the state folder.

The server never imports torch: when a configuration's previews are missing or older than its
shards, :meth:`Previews.build` runs :mod:`atek_store.store.front.preview_job` in a child process
(``sys.executable -m ...``) with a time limit, and the pages show what the cache holds: the
configuration's facts, one rendered sample, a thumbnail per sequence. A failed or slow child is
logged and the pages say the preview is missing; nothing else depends on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from atek_store.atomic import atomic_write_text
from atek_store.store.front.datasets import HostedConfig, HostedDataset, HostedStore

__all__ = ["ConfigFacts", "Previews"]

_log = logging.getLogger(__name__)

_FACTS = "facts.json"
_SAMPLE = "sample.png"
_MAX_FACTS_BYTES = 1 << 20


@dataclass(frozen=True)
class ConfigFacts:
    """What the child found out about a configuration (empty until it ran)."""

    configured: tuple[tuple[str, str], ...] = ()
    observed: tuple[tuple[str, str], ...] = ()
    keys: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


def _rows(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        return ()
    return tuple((str(row[0]), str(row[1])) for row in value if isinstance(row, list) and len(row) == 2)


@dataclass
class Previews:
    """The preview cache of one hosted store, below ``cache``."""

    store: HostedStore
    cache: Path
    timeout_s: float = 600.0
    building: bool = field(default=False)

    def folder(self, dataset: str, config: str) -> Path:
        """The cache folder of one configuration."""
        return self.cache / dataset / config

    def facts(self, dataset: str, config: str) -> ConfigFacts:
        """The cached facts of a configuration (empty when not made yet)."""
        path = self.folder(dataset, config) / _FACTS
        try:
            data = json.loads(path.read_bytes()[:_MAX_FACTS_BYTES])
        except (OSError, ValueError):
            return ConfigFacts()
        return ConfigFacts(
            configured=_rows(data.get("configured")),
            observed=_rows(data.get("observed")),
            keys=tuple(str(key) for key in data.get("keys", [])),
            errors=tuple(str(error) for error in data.get("errors", [])),
        )

    def sample(self, dataset: str, config: str) -> Path | None:
        """The rendered sample, if it was made."""
        path = self.folder(dataset, config) / _SAMPLE
        return path if path.is_file() else None

    def thumbnail(self, dataset: str, config: str, sequence: str) -> Path | None:
        """A sequence's thumbnail, if it was made."""
        path = self.folder(dataset, config) / f"{sequence}.jpg"
        return path if path.is_file() else None

    def _stale(self, dataset: HostedDataset, config: HostedConfig) -> bool:
        facts = self.folder(dataset.name, config.name) / _FACTS
        if not facts.is_file():
            return True
        made = facts.stat().st_mtime_ns
        return any(shard.shard.path.stat().st_mtime_ns > made for shard in config.shards[:1])

    def _job(self) -> list[dict[str, Any]]:
        tasks = []
        for dataset in self.store.datasets:
            for config in dataset.configs:
                if not self._stale(dataset, config):
                    continue
                tasks.append(
                    {
                        "dataset": dataset.name,
                        "config": config.name,
                        "shard": str(config.shards[0].shard.path),
                        "preprocess_config": str(config.preprocess_config)
                        if config.preprocess_config
                        else None,
                        "out": str(self.folder(dataset.name, config.name)),
                        "sequences": [
                            {"name": sequence.name, "shard": str(sequence.shards[0].shard.path)}
                            for sequence in config.sequences
                        ],
                    }
                )
        return tasks

    async def build(self) -> None:
        """Make the missing or stale previews in a child process (logged, never raised)."""
        tasks = self._job()
        if not tasks:
            return
        self.cache.mkdir(parents=True, exist_ok=True)
        job = self.cache / "job.json"
        atomic_write_text(job, json.dumps({"configs": tasks}), fsync=False)
        self.building = True
        _log.info("making previews of %d configuration(s) in a child process", len(tasks))
        try:
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "atek_store.store.front.preview_job",
                str(job),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                _, errors = await asyncio.wait_for(child.communicate(), self.timeout_s)
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    child.kill()
                await child.wait()
                _log.warning("the preview child took more than %.0f s and was stopped", self.timeout_s)
                return
            except asyncio.CancelledError:
                with contextlib.suppress(ProcessLookupError):
                    child.kill()
                await child.wait()
                raise
            if child.returncode != 0:
                last = errors.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
                _log.warning("the preview child failed (exit %s): %s", child.returncode, last[0][:500])
            else:
                _log.info("previews made")
        except OSError as error:
            _log.warning("cannot start the preview child: %s", error)
        finally:
            self.building = False
