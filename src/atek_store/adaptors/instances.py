"""Per-image object annotations: detectron2's ``Instances`` / ``Boxes`` when installed, else our own.

detectron2 is not on PyPI, so the CubeRCNN adaptor does not depend on it. When it is importable,
the adaptor builds real ``detectron2.structures.Instances``; otherwise it builds the small classes
below, which behave the same way for what training code does with them: fields read and written as
attributes or with ``set``/``get``/``has``, ``get_fields()``, ``len()``, ``image_size``, indexing by a
mask or indices, ``to(device)``, and ``gt_boxes.tensor``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch

from atek_store.errors import UsageError

__all__ = ["Boxes", "Instances", "InstanceStructures", "instance_structures"]


class Boxes:
    """``[N, 4]`` axis-aligned boxes as ``x0, y0, x1, y1`` pixels, like detectron2's ``Boxes``."""

    def __init__(self, tensor: torch.Tensor) -> None:
        if not isinstance(tensor, torch.Tensor):
            tensor = torch.as_tensor(tensor, dtype=torch.float32)
        if tensor.numel() == 0:
            tensor = tensor.reshape(0, 4)
        if tensor.dim() != 2 or tensor.shape[-1] != 4:
            raise UsageError(f"Boxes take an [N, 4] tensor (x0, y0, x1, y1), got shape {list(tensor.shape)}")
        self.tensor = tensor

    def __len__(self) -> int:
        return int(self.tensor.shape[0])

    def __getitem__(self, index: Any) -> Boxes:
        selected = self.tensor[index]
        return Boxes(selected.reshape(1, 4) if selected.dim() == 1 else selected)

    def __iter__(self) -> Iterator[torch.Tensor]:
        yield from self.tensor

    def __repr__(self) -> str:
        return f"Boxes({self.tensor!r})"

    @property
    def device(self) -> torch.device:
        """Where the tensor lives."""
        return self.tensor.device

    def area(self) -> torch.Tensor:
        """``[N]`` areas in pixels squared."""
        box = self.tensor
        return (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])

    def get_centers(self) -> torch.Tensor:
        """``[N, 2]`` box centres."""
        return (self.tensor[:, :2] + self.tensor[:, 2:]) / 2

    def clone(self) -> Boxes:
        """A copy that does not share memory."""
        return Boxes(self.tensor.clone())

    def to(self, device: torch.device | str) -> Boxes:
        """The boxes on ``device``."""
        return Boxes(self.tensor.to(device))


def _field_length(value: Any) -> int:
    return len(value)


def _rebuild_instances(image_size: tuple[int, int], fields: dict[str, Any]) -> Instances:
    return Instances(image_size, **fields)


class Instances:
    """The annotated objects of one image, as detectron2's ``Instances``.

    Every field holds one entry per object (a tensor, ``Boxes`` or a list), so all fields have the
    same length. Fields are attributes (``instances.gt_classes``) and can also be reached with
    ``set``/``get``/``has``/``remove``.
    """

    # What the CubeRCNN adaptor sets; declared here so type checkers know the attributes.
    gt_classes: torch.Tensor
    gt_boxes: Boxes
    gt_boxes3D: torch.Tensor
    gt_poses: torch.Tensor

    def __init__(self, image_size: tuple[int, int], **fields: Any) -> None:
        object.__setattr__(self, "_image_size", (int(image_size[0]), int(image_size[1])))
        object.__setattr__(self, "_fields", {})
        for name, value in fields.items():
            self.set(name, value)

    @property
    def image_size(self) -> tuple[int, int]:
        """``(height, width)`` of the image the objects are in."""
        size: tuple[int, int] = object.__getattribute__(self, "_image_size")
        return size

    def _field_dict(self) -> dict[str, Any]:
        fields: dict[str, Any] = object.__getattribute__(self, "_fields")
        return fields

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            self.set(name, value)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails, i.e. for fields.
        if name.startswith("_"):
            raise AttributeError(name)
        fields = self._field_dict()
        if name not in fields:
            raise AttributeError(f"Instances has no field {name!r} (fields: {', '.join(fields) or 'none'})")
        return fields[name]

    def set(self, name: str, value: Any) -> None:
        """Set a field; its length must match the fields already set."""
        fields = self._field_dict()
        if fields:
            expected = len(self)
            if _field_length(value) != expected:
                raise UsageError(
                    f"field {name!r} has {_field_length(value)} entries, but these Instances hold {expected}"
                )
        fields[name] = value

    def get(self, name: str) -> Any:
        """A field by name."""
        return self._field_dict()[name]

    def has(self, name: str) -> bool:
        """Whether a field is set."""
        return name in self._field_dict()

    def remove(self, name: str) -> None:
        """Delete a field."""
        del self._field_dict()[name]

    def get_fields(self) -> dict[str, Any]:
        """The fields by name (the live dict, as detectron2 returns it)."""
        return self._field_dict()

    def __len__(self) -> int:
        for value in self._field_dict().values():
            return _field_length(value)
        return 0

    def __getitem__(self, index: Any) -> Instances:
        """The objects selected by an int, a slice, indices or a boolean mask."""
        if isinstance(index, int):
            if index >= len(self) or index < -len(self):
                raise IndexError(f"Instances index {index} out of range for {len(self)} objects")
            index = slice(index, None, len(self))
        selected = Instances(self.image_size)
        for name, value in self._field_dict().items():
            if isinstance(value, list):
                picked = torch.arange(len(value))[index]
                selected.set(name, [value[int(i)] for i in picked.reshape(-1)])
            else:
                selected.set(name, value[index])
        return selected

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError("Instances are not iterable; index them or read their fields")

    def to(self, device: torch.device | str) -> Instances:
        """The same objects with every tensor-like field on ``device``."""
        moved = Instances(self.image_size)
        for name, value in self._field_dict().items():
            moved.set(name, value.to(device) if hasattr(value, "to") else value)
        return moved

    @staticmethod
    def cat(instance_lists: list[Instances]) -> Instances:
        """Concatenate the objects of several ``Instances`` of the same image."""
        if not instance_lists:
            raise UsageError("Instances.cat needs at least one Instances")
        first = instance_lists[0]
        if any(item.image_size != first.image_size for item in instance_lists):
            raise UsageError("Instances.cat: the Instances are of images of different sizes")
        joined = Instances(first.image_size)
        for name in first.get_fields():
            values = [item.get(name) for item in instance_lists]
            if isinstance(values[0], torch.Tensor):
                joined.set(name, torch.cat(values))
            elif isinstance(values[0], Boxes):
                joined.set(name, Boxes(torch.cat([box.tensor for box in values])))
            elif isinstance(values[0], list):
                joined.set(name, [entry for value in values for entry in value])
            else:
                raise UsageError(
                    f"Instances.cat cannot join field {name!r} of type {type(values[0]).__name__}"
                )
        return joined

    def __reduce__(self) -> tuple[Any, ...]:
        # Attribute routing defeats the default pickling; Instances cross DataLoader worker boundaries.
        return (_rebuild_instances, (self.image_size, dict(self._field_dict())))

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}: {tuple(value.shape) if hasattr(value, 'shape') else len(value)}"
            for name, value in self._field_dict().items()
        )
        return f"Instances(num_instances={len(self)}, image_height={self.image_size[0]}, " + (
            f"image_width={self.image_size[1]}, fields=[{fields}])"
        )


@dataclass(frozen=True)
class InstanceStructures:
    """The ``Instances`` and ``Boxes`` classes in use, and where they come from."""

    instances: Any
    boxes: Any
    source: str  # "detectron2" or "atek_store"


def instance_structures() -> InstanceStructures:
    """detectron2's classes when detectron2 is importable, else ours."""
    try:
        structures = importlib.import_module("detectron2.structures")
    except ImportError:
        return InstanceStructures(Instances, Boxes, "atek_store")
    return InstanceStructures(structures.Instances, structures.Boxes, "detectron2")
