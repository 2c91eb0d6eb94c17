"""Compare what we yield with the descriptions in ``../shared/golden/expected_*.json``.

The description format is in ``../shared/golden/README.md``: tensors by dtype, shape and the
sha256 of their contiguous bytes (plus ``values`` for small ones), dicts, lists, strings, ints,
and detectron2 ``Instances``.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import torch


def load_expected(path: Path) -> dict[str, Any]:
    with path.open() as handle:
        return json.load(handle)  # type: ignore[no-any-return]


def tensor_sha256(tensor: torch.Tensor) -> str:
    return hashlib.sha256(tensor.contiguous().numpy().tobytes()).hexdigest()


def _dtype_name(tensor: torch.Tensor) -> str:
    return str(tensor.dtype).removeprefix("torch.")


def _fields_of(value: Any) -> tuple[tuple[int, int], dict[str, Any]]:
    image_size = tuple(value.image_size)
    fields = value.get_fields()
    return (int(image_size[0]), int(image_size[1])), dict(fields)


def _as_tensor(value: Any) -> Any:
    # detectron2-like Boxes carry their data in .tensor
    return value.tensor if hasattr(value, "tensor") and not isinstance(value, torch.Tensor) else value


def mismatches(
    expected: dict[str, Any], actual: Any, path: str = "", *, atol: float | None = None
) -> list[str]:
    """Differences between a description and a value.

    With ``atol=None`` tensors must match bit for bit (sha256). With a tolerance, integer tensors
    must be equal and float tensors within ``atol`` (using ``values`` where the description has them;
    otherwise only dtype and shape are compared).
    """
    kind = expected["type"]
    out: list[str] = []
    if kind == "tensor":
        actual = _as_tensor(actual)
        if not isinstance(actual, torch.Tensor):
            return [f"{path}: expected a tensor, got {type(actual).__name__}"]
        if _dtype_name(actual) != expected["dtype"]:
            out.append(f"{path}: dtype {_dtype_name(actual)} != {expected['dtype']}")
        if list(actual.shape) != expected["shape"]:
            out.append(f"{path}: shape {list(actual.shape)} != {expected['shape']}")
        if out:
            return out
        if atol is None:
            if tensor_sha256(actual) != expected["sha256"]:
                out.append(f"{path}: sha256 differs")
        elif "values" in expected:
            got = actual.flatten().tolist()
            for i, (want, have) in enumerate(zip(expected["values"], got, strict=True)):
                if want is None:
                    if not (isinstance(have, float) and math.isnan(have)):
                        out.append(f"{path}[{i}]: expected NaN, got {have}")
                elif actual.dtype.is_floating_point:
                    if not abs(float(want) - have) <= atol:
                        out.append(f"{path}[{i}]: {have} not within {atol} of {want}")
                elif want != have:
                    out.append(f"{path}[{i}]: {have} != {want}")
        return out
    if kind == "str":
        return [] if actual == expected["value"] else [f"{path}: {actual!r} != {expected['value']!r}"]
    if kind == "int":
        return [] if actual == expected["value"] else [f"{path}: {actual!r} != {expected['value']!r}"]
    if kind == "dict":
        if not isinstance(actual, dict):
            return [f"{path}: expected a dict, got {type(actual).__name__}"]
        if set(actual) != set(expected["items"]):
            out.append(
                f"{path}: keys differ: missing {sorted(set(expected['items']) - set(actual))}, "
                f"extra {sorted(set(actual) - set(expected['items']))}"
            )
        for key, node in expected["items"].items():
            if key in actual:
                out += mismatches(node, actual[key], f"{path}/{key}", atol=atol)
        return out
    if kind == "list":
        if "value" in expected:  # a plain (nested) list of numbers
            want = expected["value"]
            if atol is None:
                return [] if actual == want else [f"{path}: {actual!r} != {want!r}"]
            flat_want = torch.tensor(want, dtype=torch.float64)
            flat_have = torch.tensor(actual, dtype=torch.float64)
            if flat_want.shape != flat_have.shape or not torch.allclose(
                flat_want, flat_have, atol=atol, rtol=0
            ):
                return [f"{path}: {actual!r} not within {atol} of {want!r}"]
            return []
        if not isinstance(actual, list | tuple):
            return [f"{path}: expected a list, got {type(actual).__name__}"]
        if len(actual) != len(expected["items"]):
            return [f"{path}: length {len(actual)} != {len(expected['items'])}"]
        for i, (node, item) in enumerate(zip(expected["items"], actual, strict=True)):
            out += mismatches(node, item, f"{path}[{i}]", atol=atol)
        return out
    if kind == "Instances":
        if not hasattr(actual, "get_fields"):
            return [f"{path}: expected Instances, got {type(actual).__name__}"]
        size, fields = _fields_of(actual)
        if list(size) != expected["image_size"]:
            out.append(f"{path}: image_size {list(size)} != {expected['image_size']}")
        if set(fields) != set(expected["fields"]):
            out.append(f"{path}: fields {sorted(fields)} != {sorted(expected['fields'])}")
        for name, node in expected["fields"].items():
            if name in fields:
                out += mismatches(node, fields[name], f"{path}.{name}", atol=atol)
        return out
    return [f"{path}: unknown description type {kind!r}"]


def sample_mismatches(
    expected: dict[str, Any], sample: dict[str, Any], *, atol: float | None = None
) -> list[str]:
    """Compare one described sample with a yielded one (``__url__``/``__local_path__`` ignored)."""
    actual = {k: v for k, v in sample.items() if k not in ("__url__", "__local_path__")}
    return mismatches({"type": "dict", "items": expected}, actual, atol=atol)
