"""Tensor helpers that model adaptors and evaluation code use on ATEK samples (the original's tensor_utils).

``fill_or_trim_tensor`` pads or cuts a frame axis to a fixed length (EFM3D pads its snippets with
it), ``check_dicts_same_w_tensors`` compares nested dicts holding tensors,
``compute_bbox_corners_in_world`` gives the 8 corners of oriented boxes, and
``filter_obbs_by_confidence`` keeps the boxes of an obb3/obb2 dict above a score. The point-list
packing helpers live with the format (:mod:`atek_store.format.wds_sample`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from atek_store.errors import UsageError
from atek_store.geometry import orthonormalize
from atek_store.viz.wireframe import box_corners

__all__ = [
    "check_dicts_same_w_tensors",
    "compute_bbox_corners_in_world",
    "fill_or_trim_tensor",
    "filter_obbs_by_confidence",
    "filter_obbs_by_confidence_all_cams",
]

# box_corners numbers corner i by the signs (x, y, z) in bits (4, 2, 1); the original lists them
# as the z = -h face counter-clockwise from (-, -), then the z = +h face the same way.
_ORIGINAL_CORNER_ORDER = [0, 4, 6, 2, 1, 5, 7, 3]


def fill_or_trim_tensor(
    tensor: torch.Tensor, dim_size: int, dim: int, fill_value: float | None = None
) -> torch.Tensor:
    """``tensor`` with exactly ``dim_size`` entries along ``dim``: the first ones, or padded.

    Padding repeats the last entry, or uses ``fill_value`` when given. A tensor that already has
    the size is returned as it is; a trimmed one is a copy. Only indexing, ``repeat``,
    ``clone`` and ``torch.cat`` are used, so tensor wrappers (EFM3D's ``PoseTW``) work too.

    Raises:
        UsageError: the tensor has no entry along ``dim`` (there is nothing to repeat).
    """
    have = tensor.shape[dim]
    if have == 0:
        raise UsageError(
            f"cannot fill a tensor of shape {list(tensor.shape)}: it has no entry along dim {dim}"
        )
    if have == dim_size:
        return tensor
    before = (slice(None),) * (dim % tensor.dim())
    if have > dim_size:
        return tensor[before + (slice(0, dim_size),)].clone()
    if fill_value is not None:
        shape = list(tensor.shape)
        shape[dim] = dim_size - have
        # No dtype, as in the original: a float fill makes the float default dtype, and cat promotes.
        fill = torch.full(shape, fill_value, device=tensor.device)
    else:
        repeats = [1] * tensor.dim()
        repeats[dim] = dim_size - have
        fill = tensor[before + (slice(have - 1, have),)].repeat(repeats)
    return torch.cat([tensor, fill], dim=dim)


def _same(value1: Any, value2: Any, atol: float) -> bool:
    if isinstance(value1, torch.Tensor) and isinstance(value2, torch.Tensor):
        return value1.shape == value2.shape and torch.allclose(value1, value2, atol=atol)
    if isinstance(value1, Mapping) and isinstance(value2, Mapping):
        return check_dicts_same_w_tensors(value1, value2, atol=atol)
    if isinstance(value1, list | tuple) and isinstance(value2, list | tuple):
        return len(value1) == len(value2) and all(
            _same(a, b, atol) for a, b in zip(value1, value2, strict=True)
        )
    if isinstance(value1, torch.Tensor) or isinstance(value2, torch.Tensor):
        return False
    return bool(value1 == value2)


def check_dicts_same_w_tensors(
    dict_1: Mapping[str, Any], dict_2: Mapping[str, Any], atol: float = 1e-5
) -> bool:
    """Whether two nested dicts have the same keys and values, tensors compared within ``atol``.

    Tensors of different shapes differ (the original let ``allclose`` broadcast or raise); lists
    are compared element by element.
    """
    if dict_1.keys() != dict_2.keys():
        return False
    return all(_same(dict_1[key], dict_2[key], atol) for key in dict_1)


def compute_bbox_corners_in_world(
    object_dimensions: torch.Tensor, Ts_world_object: torch.Tensor
) -> torch.Tensor:
    """float32 ``[N, 8, 3]`` world corners of boxes ``[N, 3]`` (x, y, z sizes) centred on ``[N, 3, 4]`` poses.

    Corners are in the original's order: the ``-z`` face (``-x-y``, ``+x-y``, ``+x+y``, ``-x+y``),
    then the ``+z`` face the same way. Poses are orthonormalised in float64 first, as the
    original's Sophus ``SE3`` does.
    """
    if object_dimensions.shape[0] == 0:
        return torch.zeros(0, 8, 3, dtype=torch.float32)
    corners = box_corners(orthonormalize(Ts_world_object.reshape(-1, 3, 4)), object_dimensions.reshape(-1, 3))
    return corners[:, _ORIGINAL_CORNER_ORDER].to(torch.float32)


def filter_obbs_by_confidence(
    obb_dict: Mapping[str, Any], confidence_score: torch.Tensor, confidence_lower_threshold: float
) -> dict[str, Any]:
    """The boxes of one camera's obb dict whose score is above the threshold.

    Tensors are masked along dim 0, lists filtered in step; other values are left out (as in the
    original).
    """
    keep = confidence_score > confidence_lower_threshold
    if keep.dim() == 0:
        keep = keep.unsqueeze(0)
    flags = keep.tolist()
    result: dict[str, Any] = {}
    for key, value in obb_dict.items():
        if isinstance(value, torch.Tensor):
            result[key] = value[keep]
        elif isinstance(value, list):
            result[key] = [item for item, chosen in zip(value, flags, strict=False) if chosen]
    return result


def filter_obbs_by_confidence_all_cams(
    all_cam_dict: Mapping[str, Mapping[str, Any]],
    confidence_score: torch.Tensor,
    confidence_lower_threshold: float,
) -> dict[str, dict[str, Any]]:
    """:func:`filter_obbs_by_confidence` applied to every camera's dict with the same scores."""
    return {
        camera: filter_obbs_by_confidence(obbs, confidence_score, confidence_lower_threshold)
        for camera, obbs in all_cam_dict.items()
    }
