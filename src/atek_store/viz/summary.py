"""What a shard or a sample holds, as plain records: keys with dtype and shape, cameras, frames, GT counts.

``summarize_shard(path_or_url)`` streams the shard once and keeps only these records (no tensors),
so it works on shards of any size; ``summarize_shard(..., sample=N)`` stops after sample N.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

from atek_store.categories import category_name
from atek_store.format.limits import ReadLimits
from atek_store.http import HttpOptions
from atek_store.viz.frames import camera_labels
from atek_store.viz.source import iter_shard_samples, read_sample

__all__ = [
    "CameraSummary",
    "GroundTruthSummary",
    "KeySummary",
    "SampleSummary",
    "ShardSummary",
    "summarize_sample",
    "summarize_shard",
]

_OBJECT_GROUPS = ("obb3_gt", "efm_gt")  # 3D GT: one entry per object (obb2 repeats the same objects)


@dataclass(frozen=True)
class KeySummary:
    """One key of a decoded sample: its kind, and dtype/shape for tensors."""

    key: str
    kind: str  # tensor, str, list, dict, int, ...
    dtype: str | None = None
    shape: tuple[int, ...] | None = None
    note: str = ""  # the text of a str, the items of a list, the keys of a dict


@dataclass(frozen=True)
class CameraSummary:
    """One camera stream of a sample."""

    label: str
    model: str | None  # LINEAR / FISHEYE624 (None for depth, which uses the rgb calibration)
    frames: int
    channels: int
    height: int
    width: int
    timestamps_ns: tuple[int, ...]
    frame_ids: tuple[int, ...]


@dataclass(frozen=True)
class GroundTruthSummary:
    """Objects of one GT group (``obb3_gt``, ``obb2_gt`` or ``efm_gt``) for one camera (and time)."""

    group: str
    camera: str
    timestamp_ns: str | None
    category_names: tuple[str, ...]  # one per object, in GT order
    instance_ids: tuple[int, ...]  # one per object (may be empty when the GT lacks them)

    @property
    def total(self) -> int:
        """Number of objects."""
        return len(self.category_names)

    def categories(self) -> dict[str, int]:
        """Objects per category name, most frequent first."""
        return _sorted_counts(Counter(self.category_names))


def _sorted_counts(counts: Mapping[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


@dataclass(frozen=True)
class SampleSummary:
    """One sample: where it is, its keys, cameras and ground truth."""

    index: int
    key: str
    url: str
    sequence_name: str | None
    keys: tuple[KeySummary, ...]
    cameras: tuple[CameraSummary, ...]
    ground_truth: tuple[GroundTruthSummary, ...]

    @property
    def frames(self) -> int:
        """Frames per camera (the largest count over the cameras)."""
        return max((camera.frames for camera in self.cameras), default=0)

    def objects_per_category(self) -> dict[str, int]:
        """Distinct annotated 3D objects per category name (over every camera and time)."""
        by_instance: dict[int, str] = {}
        without_ids: Counter[str] = Counter()
        for group in self.ground_truth:
            if group.group not in _OBJECT_GROUPS:
                continue
            if len(group.instance_ids) == len(group.category_names):
                for instance, name in zip(group.instance_ids, group.category_names, strict=True):
                    by_instance.setdefault(instance, name)
            else:
                without_ids.update(group.category_names)
        counts: Counter[str] = Counter(by_instance.values())
        counts.update(without_ids)
        return _sorted_counts(counts)


@dataclass(frozen=True)
class ShardSummary:
    """A shard: its samples (or the one asked for)."""

    source: str
    samples: tuple[SampleSummary, ...]
    selected: int | None = None  # the sample index asked for, or None for the whole shard

    def objects_per_category(self) -> dict[str, int]:
        """Distinct objects per category in each sample, summed over the samples."""
        counts: Counter[str] = Counter()
        for sample in self.samples:
            counts.update(sample.objects_per_category())
        return _sorted_counts(counts)

    def sequences(self) -> tuple[str, ...]:
        """Sequence names, in order of first appearance."""
        return tuple(dict.fromkeys(s.sequence_name for s in self.samples if s.sequence_name))


def _describe(key: str, value: Any) -> KeySummary:
    if isinstance(value, torch.Tensor):
        return KeySummary(key, "tensor", str(value.dtype).removeprefix("torch."), tuple(value.shape))
    if isinstance(value, str):
        return KeySummary(key, "str", note=value if len(value) <= 80 else value[:77] + "...")
    if isinstance(value, Mapping):
        return KeySummary(key, "dict", note=", ".join(str(k) for k in value))
    if isinstance(value, list | tuple):
        items = [_describe("", item) for item in value]
        if items and all(item.kind == "tensor" for item in items):
            shapes = sorted({str(list(item.shape or ())) for item in items})
            note = (
                f"{len(items)} x {items[0].dtype} {' / '.join(shapes[:3])}{' ...' if len(shapes) > 3 else ''}"
            )
        elif items and all(item.kind == items[0].kind for item in items):
            note = f"{len(items)} x {items[0].kind}"
        else:
            note = f"{len(items)} items"
        return KeySummary(key, "list", note=note)
    return KeySummary(key, type(value).__name__, note=repr(value)[:80])


def _describe_all(key: str, value: Any) -> list[KeySummary]:
    """A key, and for dicts (``gt_data``) every leaf below it as ``key.a.b``."""
    described = [_describe(key, value)]
    if isinstance(value, Mapping):
        for name, item in value.items():
            described += _describe_all(f"{key}.{name}", item)
    return described


def _ints(value: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in value.reshape(-1).tolist()) if isinstance(value, torch.Tensor) else ()


def _cameras(sample: Mapping[str, Any]) -> tuple[CameraSummary, ...]:
    cameras: dict[str, CameraSummary] = {}
    for key, images in sample.items():
        is_images = key.startswith("mfcd#") and key.endswith("+images")
        if not is_images or not isinstance(images, torch.Tensor) or images.dim() != 4:
            continue
        label = key[len("mfcd#") : -len("+images")]
        prefix = f"mfcd#{label}+"
        frames, channels, height, width = images.shape
        model = sample.get(f"{prefix}camera_model_name")
        cameras[label] = CameraSummary(
            label=label,
            model=model.removeprefix("CameraModelType.") if isinstance(model, str) else None,
            frames=int(frames),
            channels=int(channels),
            height=int(height),
            width=int(width),
            timestamps_ns=_ints(sample.get(f"{prefix}capture_timestamps_ns")),
            frame_ids=_ints(sample.get(f"{prefix}frame_ids")),
        )
    return tuple(cameras[label] for label in camera_labels(list(cameras)))


def _group_summary(
    group: str, camera: str, timestamp: str | None, gt: Mapping[str, Any]
) -> GroundTruthSummary:
    names = gt.get("category_names")
    if not isinstance(names, list):
        names = [category_name(i) for i in _ints(gt.get("category_ids"))]
    return GroundTruthSummary(
        group=group,
        camera=camera,
        timestamp_ns=timestamp,
        category_names=tuple(str(name) for name in names),
        instance_ids=_ints(gt.get("instance_ids")),
    )


def _ground_truth(gt_data: Any) -> tuple[GroundTruthSummary, ...]:
    if not isinstance(gt_data, Mapping):
        return ()
    groups: list[GroundTruthSummary] = []
    for group, by_key in gt_data.items():
        if not isinstance(by_key, Mapping):
            continue
        if group == "efm_gt":
            for timestamp in sorted(by_key, key=lambda t: int(t) if str(t).isdigit() else 0):
                cameras = by_key[timestamp]
                if isinstance(cameras, Mapping):
                    for camera, gt in cameras.items():
                        if isinstance(gt, Mapping):
                            groups.append(_group_summary(group, str(camera), str(timestamp), gt))
        else:
            for camera, gt in by_key.items():
                if isinstance(gt, Mapping):
                    groups.append(_group_summary(str(group), str(camera), None, gt))
    return tuple(groups)


def summarize_sample(sample: Mapping[str, Any], index: int = 0) -> SampleSummary:
    """The summary of one decoded sample (as ``iter_shard`` or the loader yields it)."""
    sequence = sample.get("sequence_name")
    return SampleSummary(
        index=index,
        key=str(sample.get("__key__", "")),
        url=str(sample.get("__url__", "")),
        sequence_name=sequence if isinstance(sequence, str) else None,
        keys=tuple(
            summary
            for key, value in sorted(sample.items())
            if not key.startswith("__")
            for summary in _describe_all(key, value)
        ),
        cameras=_cameras(sample),
        ground_truth=_ground_truth(sample.get("gt_data")),
    )


def summarize_shard(
    source: str | os.PathLike[str],
    *,
    sample: int | None = None,
    http_options: HttpOptions | None = None,
    limits: ReadLimits | None = None,
) -> ShardSummary:
    """Summarise every sample of a shard (path or http(s) URL), or only sample number ``sample``.

    ``limits`` are the readers' ceilings (default: ``ReadLimits()`` with ``ATEK_STORE_READ_LIMITS``).
    """
    if sample is not None:
        chosen = read_sample(source, sample, http_options=http_options, limits=limits)
        return ShardSummary(str(chosen["__url__"]), (summarize_sample(chosen, sample),), selected=sample)
    summaries: list[SampleSummary] = []
    name = str(source)
    for index, decoded in enumerate(iter_shard_samples(source, http_options=http_options, limits=limits)):
        name = str(decoded["__url__"])
        summaries.append(summarize_sample(decoded, index))
    return ShardSummary(name, tuple(summaries))
