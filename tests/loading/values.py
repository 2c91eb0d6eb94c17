"""Deep equality of loaded samples (tensors compared bit for bit, NaN equal to NaN)."""

from __future__ import annotations

from typing import Any

import torch


def same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (
            isinstance(a, torch.Tensor)
            and isinstance(b, torch.Tensor)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and bool(
                torch.equal(a, b) or (a.is_floating_point() and torch.allclose(a, b, 0, 0, equal_nan=True))
            )
        )
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return (
            isinstance(b, list | tuple)
            and len(a) == len(b)
            and all(same(x, y) for x, y in zip(a, b, strict=True))
        )
    return bool(a == b)


def without_location(sample: dict[str, Any]) -> dict[str, Any]:
    """A sample without ``__url__`` / ``__local_path__`` (they differ between local and streamed)."""
    return {k: v for k, v in sample.items() if k not in ("__url__", "__local_path__")}
