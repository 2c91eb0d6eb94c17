"""The loader's keyword options, entered once and kept as frozen records.

``load_atek_wds_dataset`` and ``create_native_atek_dataloader`` take the original's positional
parameters plus keyword options; :func:`parse_loader_options` and :func:`parse_worker_options`
turn those keywords into a :class:`LoaderOptions` (what the readers need) and a
:class:`WorkerOptions` (what the ``torch.utils.data.DataLoader`` needs), validated up front. An
unknown keyword is refused with a :class:`~atek_store.errors.UsageError` that names the closest
known one, instead of surfacing as a ``TypeError`` from deep inside PyTorch.
"""

from __future__ import annotations

import difflib
import enum
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from atek_store.errors import UsageError
from atek_store.format.limits import ReadLimits, read_limits
from atek_store.http import HttpOptions
from atek_store.loading.handler import ErrorPolicy
from atek_store.sources.cache import DEFAULT_CACHE_MAX_BYTES

__all__ = [
    "DEFAULT_READ_AHEAD",
    "DEFAULT_SHUFFLE_WINDOW",
    "ImageLayout",
    "LoaderOptions",
    "WorkerOptions",
    "parse_loader_options",
    "parse_worker_options",
    "split_options",
]

DEFAULT_SHUFFLE_WINDOW = 16
"""Shards whose samples are shuffled together (see :mod:`atek_store.loading.order`)."""

DEFAULT_READ_AHEAD = 4
"""Shards each reader fetches ahead of the one it decodes, for http(s) shards."""

# Options this project once had, with what replaced them: named in the refusal.
_REPLACED = {
    "shuffle_buffer_size": "shuffle_window (shards shuffled together; the order does not depend on workers)",
    "shuffle_initial": "shuffle_window (there is no initial fill any more)",
}


class ImageLayout(str, enum.Enum):
    """Memory layout of decoded image stacks (same shapes and values either way)."""

    CONTIGUOUS = "contiguous"
    CHANNELS_LAST = "channels_last"


@dataclass(frozen=True, kw_only=True)
class LoaderOptions:
    """How the readers read: everything but the original's positional parameters.

    Args:
        seed: seeds the shard order and the sample shuffle (the same on every rank).
        cache_dir: keep each streamed shard here after its first complete read, or None.
        cache_max_bytes: size cap of the cache; least recently used shards are evicted.
        policy: what to do with a bad shard or sample (built from ``handler``).
        shuffle_window: with ``shuffle_flag``, the samples of this many consecutive shards (in
            the epoch's shard order) are shuffled together.
        http_options: timeouts and retries for streaming.
        image_layout: memory layout of image stacks.
        read_ahead: http(s) shards each reader fetches ahead over parallel connections while it
            decodes the current one; 0 switches read-ahead off.
        read_ahead_connections: parallel range requests of each reader (each DataLoader worker);
            None: 16 each, at most 64 per rank (fewer for a server that allows fewer).
        read_limits: ceilings on what a shard may declare (member and sample sizes, pixels, JSON
            depth); by default ``ReadLimits()`` with ``ATEK_STORE_READ_LIMITS`` applied.
    """

    seed: int = 0
    cache_dir: Path | None = None
    cache_max_bytes: int = DEFAULT_CACHE_MAX_BYTES
    policy: ErrorPolicy = ErrorPolicy(None)
    shuffle_window: int = DEFAULT_SHUFFLE_WINDOW
    http_options: HttpOptions | None = None
    image_layout: ImageLayout = ImageLayout.CONTIGUOUS
    read_ahead: int = DEFAULT_READ_AHEAD
    read_ahead_connections: int | None = None
    read_limits: ReadLimits = field(default_factory=ReadLimits)

    def __post_init__(self) -> None:
        if not isinstance(self.shuffle_window, int) or self.shuffle_window < 1:
            raise UsageError(
                f"shuffle_window must be a positive number of shards, got {self.shuffle_window!r}",
                flag="shuffle_window",
            )
        if not isinstance(self.read_ahead, int) or self.read_ahead < 0:
            raise UsageError(
                f"read_ahead must be a number of shards >= 0, got {self.read_ahead!r}", flag="read_ahead"
            )
        connections = self.read_ahead_connections
        if connections is not None and (
            not isinstance(connections, int) or isinstance(connections, bool) or connections < 1
        ):
            raise UsageError(
                f"read_ahead_connections must be a positive number or None, got {connections!r}",
                flag="read_ahead_connections",
            )
        if not isinstance(self.read_limits, ReadLimits):
            raise UsageError(
                f"read_limits must be a ReadLimits, got {type(self.read_limits).__name__}", flag="read_limits"
            )
        if self.http_options is not None and not isinstance(self.http_options, HttpOptions):
            raise UsageError(
                f"http_options must be an HttpOptions, got {type(self.http_options).__name__}",
                flag="http_options",
            )

    @property
    def channels_last(self) -> bool:
        """Whether image stacks are decoded with ``channels_last`` strides."""
        return self.image_layout is ImageLayout.CHANNELS_LAST


@dataclass(frozen=True, kw_only=True)
class WorkerOptions:
    """What the ``torch.utils.data.DataLoader`` under the loader is given besides the dataset.

    Args:
        pin_memory: pin items in page-locked memory; None pins only with an accelerator.
        timeout: seconds to wait for an item from a worker (0: forever).
        prefetch_factor: items each worker prepares ahead (None: PyTorch's default).
        multiprocessing_context: how workers start (``"fork"``, ``"spawn"``, a context).
        worker_init_fn: called in each worker with its id.
    """

    pin_memory: bool | None = None
    timeout: float = 0
    prefetch_factor: int | None = None
    multiprocessing_context: Any = None
    worker_init_fn: Callable[[int], None] | None = None

    def dataloader_kwargs(self) -> dict[str, Any]:
        """The keywords to pass on, leaving out those at PyTorch's defaults."""
        given = {
            "timeout": self.timeout,
            "prefetch_factor": self.prefetch_factor,
            "multiprocessing_context": self.multiprocessing_context,
            "worker_init_fn": self.worker_init_fn,
        }
        return {key: value for key, value in given.items() if value is not None and value != 0}


_LOADER_NAMES = tuple(f.name for f in fields(LoaderOptions) if f.name != "policy") + ("handler",)
_WORKER_NAMES = tuple(f.name for f in fields(WorkerOptions))
# Set by AtekDataLoader itself: batching happens in the dataset, and workers never persist (each
# pass plans its readers afresh).
_FIXED = (
    "batch_sampler",
    "batch_size",
    "collate_fn",
    "drop_last",
    "persistent_workers",
    "sampler",
    "shuffle",
)


def _refuse(name: str, known: tuple[str, ...]) -> UsageError:
    if name in _REPLACED:
        return UsageError(f"option {name!r} was replaced by {_REPLACED[name]}", flag=name)
    if name in _FIXED:
        return UsageError(
            f"AtekDataLoader sets {name} itself: batch and shuffle with the dataset's batch_size and "
            "shuffle_flag instead",
            flag=name,
        )
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f"; known options: {', '.join(sorted(known))}"
    return UsageError(f"unknown loader option {name!r}{hint}", flag=name)


def _image_layout(value: Any) -> ImageLayout:
    try:
        return ImageLayout(value)
    except ValueError:
        raise UsageError(
            f"image_layout must be 'contiguous' or 'channels_last', got {value!r}", flag="image_layout"
        ) from None


def split_options(given: Mapping[str, Any], *, workers: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sort keywords into the dataset's and the DataLoader's, refusing unknown names.

    Args:
        given: the keywords as passed.
        workers: whether DataLoader options are accepted (``create_native_atek_dataloader``).

    Raises:
        UsageError: an unknown option (the message names the closest known one).
    """
    known = _LOADER_NAMES + (_WORKER_NAMES if workers else ())
    for name in given:
        if name not in known:
            raise _refuse(name, known)
    loader = {name: value for name, value in given.items() if name in _LOADER_NAMES}
    worker = {name: value for name, value in given.items() if name in _WORKER_NAMES}
    return loader, worker


def parse_loader_options(given: Mapping[str, Any], *, cache_dir_default: Path | None) -> LoaderOptions:
    """The dataset's options from keywords (``None`` means the default).

    Args:
        given: the keywords as passed (``seed=None`` means the default seed).
        cache_dir_default: the cache folder when ``cache_dir`` is not given (from the environment).

    Raises:
        UsageError: an unknown option or a bad value.
    """
    loader, _ = split_options(given, workers=False)
    values: dict[str, Any] = {name: value for name, value in loader.items() if value is not None}
    values["policy"] = ErrorPolicy(values.pop("handler", None))
    if "seed" in values:
        try:
            values["seed"] = int(values["seed"])
        except (TypeError, ValueError):
            raise UsageError(f"seed must be an integer, got {values['seed']!r:.80}", flag="seed") from None
    cache_dir = values.pop("cache_dir", None)
    values["cache_dir"] = Path(os.fspath(cache_dir)) if cache_dir is not None else cache_dir_default
    if "image_layout" in values:
        values["image_layout"] = _image_layout(values["image_layout"])
    values["read_limits"] = read_limits(values.get("read_limits"))  # the environment applies here, once
    return LoaderOptions(**values)


def parse_worker_options(given: Mapping[str, Any]) -> WorkerOptions:
    """The DataLoader's options from keywords.

    Raises:
        UsageError: an unknown option, or one that AtekDataLoader sets itself.
    """
    for name in given:
        if name not in _WORKER_NAMES:
            raise _refuse(name, _WORKER_NAMES)
    return WorkerOptions(**given)
