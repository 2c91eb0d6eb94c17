"""Samples that WebDataset decoded -> the ATEK sample the original loader yields (``process_wds_sample``).

Code that builds its own WebDataset pipeline (EFM3D's training loader does:
``wds.WebDataset(urls).decode(wds.imagehandler("torchrgb8")).map(process_wds_sample)``) hands over a
dict of member suffix -> decoded value: each JPEG frame a uint8 ``[3, H, W]`` tensor (grayscale
repeated over 3 channels), each ``.pth`` a tensor, ``.json`` a dict, ``.txt`` a str, plus
``__key__``, ``__url__`` and ``__local_path__``. :func:`assemble_wds_sample` turns it into the
sample :func:`~atek_store.format.decode.decode_sample` gives for the same bytes, with the original's
key order: the pass-through and non-JPEG keys in member order, then the image stacks, then the
semidense point lists; ``gt_data#`` tensors are merged back into ``gt_data``.

The helpers below are the original's nested-dict and point-list utilities, which the assembly uses.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from atek_store.errors import FormatError, IncompleteSampleError, UnknownMemberError
from atek_store.format import keys as K

__all__ = [
    "ORIGINAL_SEMIDENSE_ORDER",
    "assemble_wds_sample",
    "concat_list_of_tensors",
    "merge_tensors_into_dict",
    "set_nested_dict_value",
    "unpack_list_of_tensors",
]

#: The order in which the original loader adds the unpacked semidense lists to a sample.
ORIGINAL_SEMIDENSE_ORDER = ("msdpd#points_world", "msdpd#points_inv_dist_std", "msdpd#points_dist_std")

_PASS_THROUGH = ("__key__", "__url__", "__local_path__")


def set_nested_dict_value(nested_dict: dict[str, Any], keys_as_path: Sequence[str], value: Any) -> None:
    """Set ``value`` at ``keys_as_path`` in ``nested_dict``, creating (or replacing non-dict) parents."""
    node = nested_dict
    for key in keys_as_path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[keys_as_path[-1]] = value


def merge_tensors_into_dict(
    gt_dict_no_tensors: Mapping[str, Any], tensor_dict: Mapping[str, Any]
) -> dict[str, Any]:
    """A deep copy of ``gt_dict_no_tensors``, each ``"a+b+c"`` entry of ``tensor_dict`` set at its path."""
    merged = copy.deepcopy(dict(gt_dict_no_tensors))
    for joined_keys, tensor in tensor_dict.items():
        set_nested_dict_value(merged, list(K.split_gt_path(joined_keys)), tensor)
    return merged


def concat_list_of_tensors(tensor_list: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(torch.cat(tensor_list), int64 lengths along dim 0)``; an empty list gives two empty tensors."""
    if not tensor_list:
        return torch.tensor([]), torch.tensor([])
    lengths = torch.tensor([tensor.shape[0] for tensor in tensor_list], dtype=torch.int64)
    return torch.cat(list(tensor_list), dim=0), lengths


def unpack_list_of_tensors(
    stacked_tensor: torch.Tensor, lengths_of_tensors: torch.Tensor
) -> list[torch.Tensor]:
    """Split ``stacked_tensor`` along dim 0 into consecutive views of the given lengths.

    Raises:
        IncompleteSampleError: the lengths are negative or do not add up to the stacked rows.
    """
    lengths = [int(length) for length in lengths_of_tensors.reshape(-1).tolist()]
    if any(length < 0 for length in lengths) or sum(lengths) != stacked_tensor.shape[0]:
        raise IncompleteSampleError(
            f"point list lengths {lengths} do not split a stacked tensor of {stacked_tensor.shape[0]} rows"
        )
    return list(torch.split(stacked_tensor, lengths))


def _frame(value: Any, name: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor) or value.dim() != 3:
        raise FormatError(
            f"JPEG member {name!r} was decoded to {type(value).__name__}, expected a [3, H, W] tensor: "
            "decode with webdataset's imagehandler('torchrgb8')",
            member=name,
        )
    return value


def assemble_wds_sample(sample: Mapping[str, Any]) -> dict[str, Any]:
    """One WebDataset-decoded sample (member suffix -> value) as the original loader's ATEK sample.

    JPEG frames ``<camera key>+images_<i>`` are stacked by frame index into ``[F, C, H, W]`` (only
    channel 0 unless the key contains ``rgb``), float64 tensors become float32, semidense lists are
    unpacked next to their stacked form, ``gt_data#a+b`` tensors move into ``gt_data``.

    Raises:
        FormatError: a member has an extension the format does not use, or an unexpected value.
    """
    assembled: dict[str, Any] = {}
    frames: dict[str, dict[int, torch.Tensor]] = {}
    for name, value in sample.items():
        if name in _PASS_THROUGH:
            assembled[name] = value
            continue
        key, _, extension = name.rpartition(".")
        if extension == "jpeg" and (parsed := K.image_frame(key)) is not None:
            root, index = parsed
            frame = _frame(value, name)
            frames.setdefault(root, {})[index] = frame if K.is_rgb_image_key(root) else frame[0:1]
        elif extension == "pth" and key:
            if not isinstance(value, torch.Tensor):
                raise FormatError(
                    f"member {name!r} holds a {type(value).__name__}, expected a tensor", member=name
                )
            assembled[key] = value.to(torch.float32) if value.dtype == torch.float64 else value
        elif extension in ("json", "txt") and key:
            assembled[key] = value
        else:
            raise UnknownMemberError(
                f"member {name!r} is not one the ATEK format uses ('<key>.pth', '.json', '.txt', or "
                "'<camera key>+images_<frame>.jpeg')",
                member=name,
            )
    for root, by_index in frames.items():
        assembled[root] = torch.stack([by_index[index] for index in sorted(by_index)])
    for name in ORIGINAL_SEMIDENSE_ORDER:
        stacked = assembled.get(f"{name}{K.SEMIDENSE_STACKED_SUFFIX}")
        if stacked is not None:
            lengths = assembled.get(K.SEMIDENSE_LENGTHS)
            if not isinstance(lengths, torch.Tensor):
                raise IncompleteSampleError(
                    f"sample has {name}{K.SEMIDENSE_STACKED_SUFFIX} but no {K.SEMIDENSE_LENGTHS} to unpack",
                    member=f"{name}{K.SEMIDENSE_STACKED_SUFFIX}.pth",
                )
            assembled[name] = unpack_list_of_tensors(stacked, lengths)
    gt_tensors = {
        key[len(K.GT_TENSOR_PREFIX) :]: value
        for key, value in assembled.items()
        if key.startswith(K.GT_TENSOR_PREFIX) and isinstance(value, torch.Tensor)
    }
    if gt_tensors:
        assembled[K.GT_DATA] = merge_tensors_into_dict(assembled.get(K.GT_DATA, {}), gt_tensors)
        for key in gt_tensors:
            del assembled[K.GT_TENSOR_PREFIX + key]
    return assembled
