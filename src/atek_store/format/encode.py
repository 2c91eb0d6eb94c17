"""Encode an ATEK sample dict into the tar members the original writer produces.

The inverse of :mod:`atek_store.format.decode`. Rules, in order: semidense point lists are
concatenated into ``msdpd#<name>+stacked.pth`` with ``msdpd#points_world_lengths.pth``; ``gt_data``
becomes ``gt_data.json`` (non-tensor leaves) plus one ``gt_data#<path>.pth`` per tensor; depth
images stay a ``.pth`` tensor; other ``...images`` stacks become one JPEG per frame (quality 100,
4:2:0, like the original); other tensors ``.pth``; strings ``.txt``; dicts ``.json``. Keys are
lower-cased. Pass-through keys (``__key__``, ``__url__``, ``__local_path__``) are not encoded.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from PIL import Image

from atek_store.errors import FormatError, UsageError
from atek_store.format import keys as K

__all__ = ["JPEG_QUALITY", "encode_jpeg", "encode_sample", "encode_tensor", "split_gt_data"]

JPEG_QUALITY = 100
_PASS_THROUGH = ("__key__", "__url__", "__local_path__")


def encode_tensor(tensor: torch.Tensor) -> bytes:
    """``torch.save`` bytes of one tensor, holding only its own elements (never a larger storage)."""
    tensor = tensor.detach().cpu()
    if (
        tensor.untyped_storage().nbytes() != tensor.numel() * tensor.element_size()
        or not tensor.is_contiguous()
    ):
        tensor = tensor.clone(memory_format=torch.contiguous_format)
    buffer = io.BytesIO()
    torch.save(tensor, buffer)
    return buffer.getvalue()


def encode_jpeg(frame: torch.Tensor | np.ndarray) -> bytes:
    """One uint8 ``[C, H, W]`` frame (C = 1 or 3) as a quality-100 JPEG, the way the original writes it."""
    array = frame.numpy() if isinstance(frame, torch.Tensor) else frame
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[0] not in (1, 3):
        raise UsageError(
            f"an image frame must be uint8 [C, H, W] with C in (1, 3), got {array.dtype} {array.shape}"
        )
    pixels = array[0] if array.shape[0] == 1 else np.ascontiguousarray(array.transpose(1, 2, 0))
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def split_gt_data(
    gt: Mapping[str, Any], path: tuple[str, ...] = ()
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Separate the tensors of a nested GT dict from everything else.

    Returns the dict without tensors (a sub-dict with no non-tensor leaf below it vanishes, as in
    the original) and ``{flattened key: tensor}`` for every tensor leaf.
    """
    rest: dict[str, Any] = {}
    tensors: dict[str, torch.Tensor] = {}
    for name, value in gt.items():
        here = (*path, str(name))
        if isinstance(value, torch.Tensor):
            tensors[K.gt_member_key(here)] = value
        elif isinstance(value, Mapping):
            sub_rest, sub_tensors = split_gt_data(value, here)
            tensors.update(sub_tensors)
            if sub_rest:
                rest[str(name)] = sub_rest
        else:
            rest[str(name)] = value
    return rest, tensors


def _semidense_members(sample: Mapping[str, Any], out: dict[str, bytes]) -> set[str]:
    """Write stacked semidense lists and their lengths; return the input keys consumed."""
    consumed: set[str] = set()
    lengths: torch.Tensor | None = None
    for name in K.SEMIDENSE_LISTS:
        value = sample.get(name)
        if value is None:
            continue
        if not isinstance(value, list | tuple) or not all(isinstance(v, torch.Tensor) for v in value):
            raise FormatError(f"{name} must be a list of per-frame tensors, got {type(value).__name__}")
        stacked = (
            torch.cat(list(value), dim=0)
            if value
            else torch.zeros((0, 3) if name.endswith("world") else (0,))
        )
        out[f"{name}{K.SEMIDENSE_STACKED_SUFFIX}.pth"] = encode_tensor(stacked)
        consumed |= {name, f"{name}{K.SEMIDENSE_STACKED_SUFFIX}"}
        if lengths is None:
            lengths = torch.tensor([v.shape[0] for v in value], dtype=torch.int64)
    if lengths is not None:
        out[f"{K.SEMIDENSE_LENGTHS}.pth"] = encode_tensor(lengths)
        consumed.add(K.SEMIDENSE_LENGTHS)
    return consumed


def encode_sample(sample: Mapping[str, Any]) -> dict[str, bytes]:
    """Encode one ATEK sample into ``{member suffix: bytes}`` (suffix = ``<key>.<ext>``, lower-case).

    Accepts the dict that :func:`~atek_store.format.decode.decode_sample` yields (semidense lists
    take precedence over their stacked copies) as well as a freshly built one.

    Raises:
        FormatError: a value has a type the format cannot hold, or an image stack is malformed.
    """
    members: dict[str, bytes] = {}
    consumed = _semidense_members(sample, members)
    for raw_key, value in sample.items():
        if raw_key in _PASS_THROUGH or raw_key in consumed:
            continue
        key = raw_key.lower()
        if "." in key or "/" in key:
            raise FormatError(f"sample key {raw_key!r} must not contain '.' or '/'")
        if key == K.GT_DATA:
            if not isinstance(value, Mapping):
                raise FormatError(f"gt_data must be a dict, got {type(value).__name__}")
            rest, tensors = split_gt_data(value)
            members["gt_data.json"] = json.dumps(rest).encode("utf-8")
            for gt_key, tensor in tensors.items():
                members[f"{gt_key.lower()}.pth"] = encode_tensor(tensor)
        elif isinstance(value, torch.Tensor) and K.is_jpeg_stack_key(key):
            if value.dtype != torch.uint8 or value.ndim != 4:
                raise FormatError(
                    f"{raw_key} must be a uint8 [frames, C, H, W] tensor, "
                    f"got {value.dtype} {tuple(value.shape)}"
                )
            for frame in range(value.shape[0]):
                members[f"{K.image_member_key(key, frame)}.jpeg"] = encode_jpeg(value[frame])
        elif isinstance(value, torch.Tensor):
            members[f"{key}.pth"] = encode_tensor(value)
        elif isinstance(value, str):
            members[f"{key}.txt"] = value.encode("utf-8")
        elif isinstance(value, Mapping):
            members[f"{key}.json"] = json.dumps(value).encode("utf-8")
        else:
            raise FormatError(
                f"sample key {raw_key!r} holds a {type(value).__name__}; the ATEK format stores "
                "tensors, strings, dicts and lists of per-frame semidense tensors"
            )
    return members
