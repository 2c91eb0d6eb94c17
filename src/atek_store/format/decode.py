"""Decode the members of one sample into the ATEK sample dict, exactly as the original loader yields it.

Per member kind: JPEG frames are stacked per camera into uint8 ``[F, C, H, W]`` (C = 3 when the key
contains ``rgb``, else 1, never through a 3-channel round trip for grayscale), ``.pth`` tensors are
loaded with ``weights_only=True`` (float64 -> float32), ``.txt`` -> str, ``.json`` -> dict,
``gt_data#a+b+c`` tensors are merged back into ``gt_data``, and semidense points are unpacked into
per-frame lists next to their stacked form.

What to do with each member is worked out once per distinct member layout (a shard's samples share
it) in a cached :class:`SamplePlan`, so the per-sample loop only decodes.

Members are untrusted: every size they declare (JPEG dimensions, frame counts, tensor elements,
JSON nesting) is held against :class:`ReadLimits` before anything is allocated for it, and any
failure is a :class:`FormatError` naming shard and member.
"""

from __future__ import annotations

import functools
import io
import json
import pickle
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from atek_store.errors import (
    FormatError,
    IncompleteSampleError,
    UnknownMemberError,
    UnsafeTensorError,
)
from atek_store.format import keys as K
from atek_store.format.images import decode_jpeg_frames, first_line
from atek_store.format.limits import ReadLimits
from atek_store.format.pth import read_plain_tensor

__all__ = ["SamplePlan", "decode_sample", "load_tensor", "plan_for"]

_EXTENSIONS = ("jpeg", "pth", "txt", "json")
_DEFAULT_LIMITS = ReadLimits()
# Plans of samples with more members than this are not cached: a hostile shard of ever-new
# layouts with huge member lists would otherwise fill the cache with them.
_CACHED_PLAN_MEMBERS = 512


@dataclass(frozen=True)
class _ImageStack:
    key: str
    channels: int
    frames: tuple[str, ...]  # member suffixes in frame order


@dataclass(frozen=True)
class SamplePlan:
    """What to decode from a sample with a given member layout, and into which keys."""

    tensors: tuple[tuple[str, str], ...]  # (suffix, output key), top-level .pth
    gt_tensors: tuple[tuple[str, tuple[str, ...]], ...]  # (suffix, path inside gt_data)
    texts: tuple[tuple[str, str], ...]
    jsons: tuple[tuple[str, str], ...]
    images: tuple[_ImageStack, ...]
    semidense: tuple[str, ...]  # list keys to unpack from their "+stacked" tensors


def _classify(suffixes: tuple[str, ...], wanted: frozenset[str] | None, shard: str | None) -> SamplePlan:
    def want(key: str) -> bool:
        return wanted is None or key in wanted

    tensors: list[tuple[str, str]] = []
    gt_tensors: list[tuple[str, tuple[str, ...]]] = []
    texts: list[tuple[str, str]] = []
    jsons: list[tuple[str, str]] = []
    frames: dict[str, list[tuple[int, str]]] = {}
    semidense = [name for name in K.SEMIDENSE_LISTS if f"{name}{K.SEMIDENSE_STACKED_SUFFIX}.pth" in suffixes]
    semidense = [name for name in semidense if want(name)]
    needs_lengths = bool(semidense)
    for suffix in suffixes:
        key, _, ext = suffix.rpartition(".")
        if ext not in _EXTENSIONS or not key:
            raise UnknownMemberError(
                f"member suffix {suffix!r} has an extension the ATEK format does not use "
                f"(expected one of {', '.join('.' + e for e in _EXTENSIONS)})",
                shard=shard,
                member=suffix,
            )
        if ext == "jpeg":
            parsed = K.image_frame(key)
            if parsed is None:
                raise UnknownMemberError(
                    f"JPEG member {suffix!r} is not named '<camera key>+images_<frame index>.jpeg'",
                    shard=shard,
                    member=suffix,
                )
            root, frame = parsed
            if want(root):
                frames.setdefault(root, []).append((frame, suffix))
        elif ext == "pth":
            path = K.gt_path(key)
            if path is not None:
                if want(K.GT_DATA):
                    gt_tensors.append((suffix, path))
            elif (
                want(key)
                or (needs_lengths and key == K.SEMIDENSE_LENGTHS)
                or any(key == f"{name}{K.SEMIDENSE_STACKED_SUFFIX}" for name in semidense)
            ):
                tensors.append((suffix, key))
        elif want(key):
            (texts if ext == "txt" else jsons).append((suffix, key))
    if needs_lengths and f"{K.SEMIDENSE_LENGTHS}.pth" not in suffixes:
        raise IncompleteSampleError(
            f"sample has stacked semidense points but no {K.SEMIDENSE_LENGTHS}.pth to unpack them",
            shard=shard,
            member=f"{semidense[0]}{K.SEMIDENSE_STACKED_SUFFIX}.pth",
        )
    images = []
    for root, found in frames.items():
        found.sort()
        indices = [index for index, _ in found]
        if indices != list(range(len(indices))):
            raise IncompleteSampleError(
                f"image frames of {root!r} are {indices}, expected 0..{len(indices) - 1} without gaps",
                shard=shard,
                member=found[0][1],
            )
        images.append(_ImageStack(root, 3 if K.is_rgb_image_key(root) else 1, tuple(s for _, s in found)))
    return SamplePlan(
        tuple(tensors), tuple(gt_tensors), tuple(texts), tuple(jsons), tuple(images), tuple(semidense)
    )


@functools.lru_cache(maxsize=256)
def _cached_plan(suffixes: tuple[str, ...], wanted: frozenset[str] | None) -> SamplePlan:
    return _classify(suffixes, wanted, None)


def plan_for(
    suffixes: Collection[str], wanted: frozenset[str] | None = None, *, shard: str | None = None
) -> SamplePlan:
    """The (cached) decoding plan for a sample with these member suffixes.

    Args:
        suffixes: the sample's member suffixes (``<key>.<ext>``).
        wanted: output keys to produce (others are not decoded); None for all.
        shard: named in errors.
    """
    try:
        if len(suffixes) > _CACHED_PLAN_MEMBERS:
            return _classify(tuple(sorted(suffixes)), wanted, None)
        return _cached_plan(tuple(sorted(suffixes)), wanted)
    except FormatError as error:
        # Re-raise with the shard named (the cache is shard-independent).
        raise error.at(shard=shard) from None


def load_tensor(
    data: bytes, *, shard: str | None = None, member: str | None = None, limits: ReadLimits | None = None
) -> torch.Tensor:
    """Load one ``.pth`` member safely (no code runs) and cast float64 to float32 as the original does.

    The plain single-tensor layout ATEK writes is read by :func:`read_plain_tensor`; anything else
    goes through ``torch.load(weights_only=True)``, which accepts or refuses it. A tensor whose
    elements take more than ``limits.max_member_bytes`` (a zero-stride view can claim any number
    of them over a tiny storage) is refused before anything copies it.
    """
    value = read_plain_tensor(data, shard=shard, member=member)
    if value is None:
        value = _torch_load(data, shard, member)
    ceiling = (limits or _DEFAULT_LIMITS).max_member_bytes
    if value.numel() * value.element_size() > ceiling:
        raise FormatError(
            f".pth member holds a tensor of shape {list(value.shape)[:8]} ({value.numel()} elements), "
            f"over the ceiling max_member_bytes={ceiling}",
            shard=shard,
            member=member,
        )
    return value.to(torch.float32) if value.dtype == torch.float64 else value


def _torch_load(data: bytes, shard: str | None, member: str | None) -> torch.Tensor:
    try:
        value = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise UnsafeTensorError(
            f"refused to load a .pth member that holds more than plain tensors: {first_line(error)}",
            shard=shard,
            member=member,
        ) from None
    except (RuntimeError, EOFError, ValueError, OSError, MemoryError, OverflowError) as error:
        raise FormatError(
            f".pth member is not a readable torch.save file: {first_line(error)}",
            shard=shard,
            member=member,
        ) from None
    if not isinstance(value, torch.Tensor):
        raise FormatError(
            f".pth member holds a {type(value).__name__}, expected a single tensor",
            shard=shard,
            member=member,
        )
    return value


def _insert(tree: dict[str, Any], path: tuple[str, ...], value: Any, shard: str | None, member: str) -> None:
    node = tree
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise FormatError(
                f"gt_data path {'/'.join(path)[:200]} crosses a non-dict value", shard=shard, member=member
            )
        node = child
    node[path[-1]] = value


def _json_depth(value: Any, limit: int) -> int:
    """How deep dicts and lists nest in ``value``, counted without recursion up to ``limit + 1``."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _parse_json(data: bytes, limits: ReadLimits, shard: str | None, member: str) -> Any:
    try:
        value = json.loads(data)
    except RecursionError:
        # The C parser gives up at the interpreter's recursion limit, at once and without
        # holding much: far deeper than any ceiling, so it is the same refusal.
        value = None
        depth = limits.max_json_depth + 1
    except ValueError as error:
        message = f"JSON member does not parse: {first_line(error)}"
        raise FormatError(message, shard=shard, member=member) from None
    else:
        depth = _json_depth(value, limits.max_json_depth)
    if depth > limits.max_json_depth:
        raise FormatError(
            f"JSON member nests deeper than the ceiling max_json_depth={limits.max_json_depth}",
            shard=shard,
            member=member,
        )
    return value


def _unpack_semidense(
    sample: dict[str, Any], names: tuple[str, ...], limits: ReadLimits, shard: str | None, key: str
) -> None:
    """Split each ``<name>+stacked`` tensor into per-frame tensors by the semidense lengths."""
    lengths = sample[K.SEMIDENSE_LENGTHS]
    member = f"{key}.{K.SEMIDENSE_LENGTHS}.pth"
    if (
        lengths.dim() != 1
        or lengths.is_floating_point()
        or lengths.is_complex()
        or lengths.dtype == torch.bool
        or lengths.numel() > limits.max_frames
        or bool((lengths < 0).any())
    ):
        raise IncompleteSampleError(
            f"{K.SEMIDENSE_LENGTHS} must be a 1-D tensor of at most max_frames={limits.max_frames} "
            f"non-negative integers, got {lengths.dtype} of shape {list(lengths.shape)[:8]}",
            shard=shard,
            member=member,
        )
    # Summed as Python ints: an int64 sum wraps, and torch.split accepts sizes that wrap to the rows.
    sizes = lengths.tolist()
    total = sum(sizes)
    for name in names:
        stacked = sample[f"{name}{K.SEMIDENSE_STACKED_SUFFIX}"]
        rows = stacked.shape[0] if stacked.dim() else None
        if total != rows:
            raise IncompleteSampleError(
                f"{K.SEMIDENSE_LENGTHS} sums to {total} but {name}+stacked has {rows} rows",
                shard=shard,
                member=f"{key}.{name}{K.SEMIDENSE_STACKED_SUFFIX}.pth",
            )
        sample[name] = list(torch.split(stacked, sizes))


def decode_sample(
    key: str,
    members: Mapping[str, bytes],
    *,
    shard: str | None = None,
    wanted: frozenset[str] | None = None,
    channels_last: bool = False,
    limits: ReadLimits | None = None,
    origin_keys: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Decode one sample's members (``suffix -> bytes``) into the ATEK sample dict.

    Args:
        key: the sample's ``__key__``.
        members: member suffix (``<flattened key>.<ext>``, lower-case) -> raw bytes.
        shard: path or URL of the shard, named in errors.
        wanted: output keys to produce; members that only feed other keys are not decoded.
        channels_last: give image stacks ``channels_last`` strides (same shape and values, one
            copy fewer); see :func:`decode_jpeg_frames`.
        limits: ceilings on what the members may declare (default :class:`ReadLimits`).
        origin_keys: where the sample came from (``__url__``, ``__local_path__``), placed right
            after ``__key__`` as the original loader places them.

    Raises:
        FormatError: a member is unknown, unsafe, over a ceiling, or does not decode (a subclass
            says which).
    """
    limits = limits or _DEFAULT_LIMITS
    plan = plan_for(members.keys(), wanted, shard=shard)
    sample: dict[str, Any] = {"__key__": key}
    if origin_keys:
        sample.update(origin_keys)
    for suffix, out in plan.tensors:
        sample[out] = load_tensor(members[suffix], shard=shard, member=f"{key}.{suffix}", limits=limits)
    for suffix, out in plan.texts:
        try:
            sample[out] = members[suffix].decode("utf-8")
        except UnicodeDecodeError:
            raise FormatError("text member is not UTF-8", shard=shard, member=f"{key}.{suffix}") from None
    for suffix, out in plan.jsons:
        sample[out] = _parse_json(members[suffix], limits, shard, f"{key}.{suffix}")
    if plan.gt_tensors:
        gt = sample.setdefault(K.GT_DATA, {})
        if not isinstance(gt, dict):
            raise FormatError(
                "gt_data.json does not hold an object", shard=shard, member=f"{key}.gt_data.json"
            )
        for suffix, path in plan.gt_tensors:
            member = f"{key}.{suffix}"
            if len(path) >= limits.max_json_depth:
                raise FormatError(
                    f"gt_data tensor path has {len(path)} levels, over the ceiling "
                    f"max_json_depth={limits.max_json_depth}",
                    shard=shard,
                    member=member,
                )
            tensor = load_tensor(members[suffix], shard=shard, member=member, limits=limits)
            _insert(gt, path, tensor, shard, member)
    for stack in plan.images:
        sample[stack.key] = decode_jpeg_frames(
            [members[s] for s in stack.frames],
            stack.channels,
            shard=shard,
            members=tuple(f"{key}.{s}" for s in stack.frames),
            channels_last=channels_last,
            limits=limits,
        )
    if plan.semidense:
        _unpack_semidense(sample, plan.semidense, limits, shard, key)
        if wanted is not None:
            for helper in [
                K.SEMIDENSE_LENGTHS,
                *(f"{n}{K.SEMIDENSE_STACKED_SUFFIX}" for n in plan.semidense),
            ]:
                if helper not in wanted:
                    sample.pop(helper, None)
    return sample
