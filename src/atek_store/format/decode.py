"""Decode the members of one sample into the ATEK sample dict, exactly as the original loader yields it.

Per member kind: JPEG frames are stacked per camera into uint8 ``[F, C, H, W]`` (C = 3 when the key
contains ``rgb``, else 1, never through a 3-channel round trip for grayscale), ``.pth`` tensors are
loaded with ``weights_only=True`` (float64 -> float32), ``.txt`` -> str, ``.json`` -> dict,
``gt_data#a+b+c`` tensors are merged back into ``gt_data``, and semidense points are unpacked into
per-frame lists next to their stacked form.

What to do with each member is worked out once per distinct member layout (a shard's samples share
it) in a cached :class:`SamplePlan`, so the per-sample loop only decodes.
"""

from __future__ import annotations

import functools
import io
import json
import pickle
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import simplejpeg
import torch

from atek_store.errors import (
    FormatError,
    ImageDecodeError,
    IncompleteSampleError,
    UnknownMemberError,
    UnsafeTensorError,
)
from atek_store.format import keys as K
from atek_store.format.pth import read_plain_tensor

__all__ = ["SamplePlan", "decode_jpeg_frames", "decode_sample", "load_tensor", "plan_for"]

_EXTENSIONS = ("jpeg", "pth", "txt", "json")


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
        return _cached_plan(tuple(sorted(suffixes)), wanted)
    except FormatError as error:
        # Re-raise with the shard named (the cache is shard-independent).
        raise error.at(shard=shard) from None


def load_tensor(data: bytes, *, shard: str | None = None, member: str | None = None) -> torch.Tensor:
    """Load one ``.pth`` member safely (no code runs) and cast float64 to float32 as the original does.

    The plain single-tensor layout ATEK writes is read by :func:`read_plain_tensor`; anything else
    goes through ``torch.load(weights_only=True)``, which accepts or refuses it.
    """
    fast = read_plain_tensor(data, shard=shard, member=member)
    if fast is not None:
        return fast.to(torch.float32) if fast.dtype == torch.float64 else fast
    try:
        value = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise UnsafeTensorError(
            f"refused to load a .pth member that holds more than plain tensors: {str(error).splitlines()[0]}",
            shard=shard,
            member=member,
        ) from None
    except (RuntimeError, EOFError, ValueError, OSError) as error:
        raise FormatError(
            f".pth member is not a readable torch.save file: {str(error).splitlines()[0]}",
            shard=shard,
            member=member,
        ) from None
    if not isinstance(value, torch.Tensor):
        raise FormatError(
            f".pth member holds a {type(value).__name__}, expected a single tensor",
            shard=shard,
            member=member,
        )
    if value.dtype == torch.float64:
        value = value.to(torch.float32)
    return value


_scratch = threading.local()


def _scratch_rgb(height: int, width: int) -> np.ndarray:
    """A reusable HWC buffer for this thread (never handed out: frames are copied out of it).

    Decoding into warm, already-mapped memory instead of a fresh 6 MB array per 1408x1408 frame
    saves the page faults, about 15% of the time per cubercnn sample.
    """
    buffers: dict[tuple[int, int], np.ndarray] | None = getattr(_scratch, "buffers", None)
    if buffers is None:
        buffers = _scratch.buffers = {}
    buffer = buffers.get((height, width))
    if buffer is None:
        if len(buffers) >= 4:
            buffers.clear()
        buffer = buffers[(height, width)] = np.empty((height, width, 3), dtype=np.uint8)
    return buffer


def _decode_into(dest: np.ndarray, data: bytes, channels_last: bool, shard: str | None, member: str) -> None:
    """Decode one JPEG into ``dest``: ``[C, H, W]``, or ``[H, W, C]`` when ``channels_last``."""
    if channels_last:
        height, width, channels = dest.shape
    else:
        channels, height, width = dest.shape
    try:
        got_height, got_width, colorspace, _ = simplejpeg.decode_jpeg_header(data)
        if (got_height, got_width) != (height, width):
            raise IncompleteSampleError(
                f"frames of one camera differ in size: {got_width}x{got_height} after {width}x{height}",
                shard=shard,
                member=member,
            )
        if colorspace == "Gray":
            if channels == 1:
                # [1, H, W] and [H, W, 1] are the same bytes: decode in place, no copy.
                simplejpeg.decode_jpeg(data, colorspace="GRAY", buffer=dest.reshape(height, width, 1))
                return
            decoded = simplejpeg.decode_jpeg(data, colorspace="GRAY")
        elif channels == 3 and channels_last:
            simplejpeg.decode_jpeg(data, colorspace="RGB", buffer=dest)  # already the final layout
            return
        else:
            decoded = simplejpeg.decode_jpeg(data, colorspace="RGB", buffer=_scratch_rgb(height, width))
    except (ValueError, RuntimeError) as error:
        raise ImageDecodeError(f"JPEG does not decode: {error}", shard=shard, member=member) from None
    if channels == 1:
        decoded = decoded[:, :, :1]
    # HWC -> CHW (a gray plane broadcasts to 3). numpy's strided copy runs on one thread; torch's
    # permute().contiguous() spreads it over the intra-op pool and is much slower on busy cores.
    np.copyto(dest, decoded if channels_last else decoded.transpose(2, 0, 1))


def decode_jpeg_frames(
    frames: list[bytes],
    channels: int,
    *,
    shard: str | None = None,
    members: tuple[str, ...] = (),
    channels_last: bool = False,
) -> torch.Tensor:
    """Decode JPEG frames into one uint8 ``[F, C, H, W]`` tensor (Pillow-identical pixels).

    Grayscale JPEGs stay one channel unless ``channels`` is 3 (then the plane is repeated); colour
    JPEGs keep channel 0 only when ``channels`` is 1, as the original does for non-rgb cameras.

    With ``channels_last`` the tensor has the same shape and values but ``channels_last`` strides
    (``[F, H, W, C]`` in memory): colour frames are decoded straight into it, which saves the
    HWC -> CHW copy (about 15% of a 1408x1408 frame's cost). Call ``.contiguous()`` before
    ``.view()`` on such a tensor.
    """
    if not frames:
        raise IncompleteSampleError("an image stack has no frames", shard=shard)
    names = [members[i] if i < len(members) else f"frame {i}" for i in range(len(frames))]
    try:
        height, width, _, _ = simplejpeg.decode_jpeg_header(frames[0])
    except (ValueError, RuntimeError) as error:
        raise ImageDecodeError(f"JPEG does not decode: {error}", shard=shard, member=names[0]) from None
    if channels_last:
        stack = np.empty((len(frames), height, width, channels), dtype=np.uint8)
    else:
        stack = np.empty((len(frames), channels, height, width), dtype=np.uint8)
    for i, data in enumerate(frames):
        _decode_into(stack[i], data, channels_last, shard, names[i])
    tensor = torch.from_numpy(stack)
    return tensor.permute(0, 3, 1, 2) if channels_last else tensor


def _insert(tree: dict[str, Any], path: tuple[str, ...], value: Any, shard: str | None, member: str) -> None:
    node = tree
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise FormatError(
                f"gt_data path {'/'.join(path)} crosses a non-dict value", shard=shard, member=member
            )
        node = child
    node[path[-1]] = value


def decode_sample(
    key: str,
    members: Mapping[str, bytes],
    *,
    shard: str | None = None,
    wanted: frozenset[str] | None = None,
    channels_last: bool = False,
) -> dict[str, Any]:
    """Decode one sample's members (``suffix -> bytes``) into the ATEK sample dict.

    Args:
        key: the sample's ``__key__``.
        members: member suffix (``<flattened key>.<ext>``, lower-case) -> raw bytes.
        shard: path or URL of the shard, named in errors.
        wanted: output keys to produce; members that only feed other keys are not decoded.
        channels_last: give image stacks ``channels_last`` strides (same shape and values, one
            copy fewer); see :func:`decode_jpeg_frames`.

    Raises:
        FormatError: a member is unknown, unsafe, or does not decode (a subclass says which).
    """
    plan = plan_for(members.keys(), wanted, shard=shard)
    sample: dict[str, Any] = {"__key__": key}
    for suffix, out in plan.tensors:
        sample[out] = load_tensor(members[suffix], shard=shard, member=f"{key}.{suffix}")
    for suffix, out in plan.texts:
        try:
            sample[out] = members[suffix].decode("utf-8")
        except UnicodeDecodeError:
            raise FormatError("text member is not UTF-8", shard=shard, member=f"{key}.{suffix}") from None
    for suffix, out in plan.jsons:
        try:
            sample[out] = json.loads(members[suffix])
        except ValueError as error:
            raise FormatError(
                f"JSON member does not parse: {error}", shard=shard, member=f"{key}.{suffix}"
            ) from None
    if plan.gt_tensors:
        gt = sample.setdefault(K.GT_DATA, {})
        if not isinstance(gt, dict):
            raise FormatError(
                "gt_data.json does not hold an object", shard=shard, member=f"{key}.gt_data.json"
            )
        for suffix, path in plan.gt_tensors:
            member = f"{key}.{suffix}"
            _insert(gt, path, load_tensor(members[suffix], shard=shard, member=member), shard, member)
    for stack in plan.images:
        sample[stack.key] = decode_jpeg_frames(
            [members[s] for s in stack.frames],
            stack.channels,
            shard=shard,
            members=tuple(f"{key}.{s}" for s in stack.frames),
            channels_last=channels_last,
        )
    if plan.semidense:
        lengths = sample[K.SEMIDENSE_LENGTHS]
        for name in plan.semidense:
            stacked = sample[f"{name}{K.SEMIDENSE_STACKED_SUFFIX}"]
            if int(lengths.sum()) != stacked.shape[0]:
                raise IncompleteSampleError(
                    f"{K.SEMIDENSE_LENGTHS} sums to {int(lengths.sum())} but {name}+stacked has "
                    f"{stacked.shape[0]} rows",
                    shard=shard,
                    member=f"{key}.{name}{K.SEMIDENSE_STACKED_SUFFIX}.pth",
                )
            sample[name] = list(torch.split(stacked, lengths.tolist()))
        if wanted is not None:
            for helper in [
                K.SEMIDENSE_LENGTHS,
                *(f"{n}{K.SEMIDENSE_STACKED_SUFFIX}" for n in plan.semidense),
            ]:
                if helper not in wanted:
                    sample.pop(helper, None)
    return sample
