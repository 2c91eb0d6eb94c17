"""The key grammar of ATEK WebDataset shards.

A tar member is named ``<__key__>.<flattened key>.<extension>``, where
``__key__ = <prefix>_AtekDataSample_<6-digit running index>`` and the flattened key uses
``#`` after a namespace (``mfcd#``, ``mtd#``, ``msdpd#``, ``gt_data#``), ``+`` between nested
keys, and ``_<i>`` after ``images`` for the frame index of one JPEG. This module is the one
place that knows this grammar: the writer builds names with it and the reader parses them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from atek_store.errors import UsageError

__all__ = [
    "CAMERA_LABELS",
    "CAMERA_PREFIX",
    "DEPTH_IMAGES_KEY",
    "GT_DATA",
    "GT_TENSOR_PREFIX",
    "KEY_INFIX",
    "MemberName",
    "SEMIDENSE_LENGTHS",
    "SEMIDENSE_LISTS",
    "SEMIDENSE_STACKED_SUFFIX",
    "SEQUENCE_NAME",
    "camera_key",
    "gt_member_key",
    "gt_path",
    "image_frame",
    "image_member_key",
    "is_jpeg_stack_key",
    "is_rgb_image_key",
    "parse_sample_key",
    "sample_key",
    "split_camera_key",
    "split_gt_path",
    "split_member_name",
]

KEY_INFIX = "_AtekDataSample_"
CAMERA_PREFIX = "mfcd#"
GT_DATA = "gt_data"
GT_TENSOR_PREFIX = "gt_data#"
SEQUENCE_NAME = "sequence_name"
DEPTH_IMAGES_KEY = "mfcd#camera-rgb-depth+images"
SEMIDENSE_STACKED_SUFFIX = "+stacked"
SEMIDENSE_LISTS = ("msdpd#points_world", "msdpd#points_dist_std", "msdpd#points_inv_dist_std")
SEMIDENSE_LENGTHS = "msdpd#points_world_lengths"
CAMERA_LABELS = ("camera-rgb", "camera-slam-left", "camera-slam-right", "camera-rgb-depth")

_SAMPLE_KEY = re.compile(r"^(?P<prefix>[^.]*)_AtekDataSample_(?P<index>\d{6,})$")
_IMAGE_MEMBER = re.compile(r"^(?P<root>.*\+images)_(?P<frame>\d+)$")


@dataclass(frozen=True)
class MemberName:
    """A tar member name split into its sample key, flattened key and extension."""

    sample_key: str
    key: str
    extension: str

    @property
    def suffix(self) -> str:
        """What follows the sample key: ``<key>.<extension>``."""
        return f"{self.key}.{self.extension}"


def sample_key(prefix: str, index: int) -> str:
    """The ``__key__`` of the sample with running ``index`` (``<prefix>_AtekDataSample_000042``)."""
    if "." in prefix or "/" in prefix:
        raise UsageError(f"prefix_string {prefix!r} must not contain '.' or '/'")
    if index < 0:
        raise UsageError(f"sample index must be >= 0, got {index}")
    return f"{prefix}{KEY_INFIX}{index:06d}"


def parse_sample_key(key: str) -> tuple[str, int] | None:
    """``(prefix, index)`` of a ``__key__`` written by an ATEK writer, or None if it is not one."""
    match = _SAMPLE_KEY.match(key)
    if match is None:
        return None
    return match["prefix"], int(match["index"])


def split_member_name(name: str) -> MemberName | None:
    """Split a tar member name as WebDataset does: the key ends at the first ``.`` of the basename.

    The suffix is lower-cased (WebDataset lower-cases suffixes on read). Returns None for names
    without a ``.`` (no suffix), which readers skip.
    """
    base = name.rsplit("/", 1)[-1]
    sample, dot, suffix = base.partition(".")
    if not dot or not suffix:
        return None
    suffix = suffix.lower()
    key, _, extension = suffix.rpartition(".")
    if not key:
        key, extension = suffix, ""
    directory = name[: len(name) - len(base)]
    return MemberName(sample_key=directory + sample, key=key, extension=extension)


def image_frame(key: str) -> tuple[str, int] | None:
    """``("mfcd#camera-rgb+images", 3)`` for ``"mfcd#camera-rgb+images_3"``; None if not a frame key."""
    match = _IMAGE_MEMBER.match(key)
    if match is None:
        return None
    return match["root"], int(match["frame"])


def image_member_key(images_key: str, frame: int) -> str:
    """The flattened key of one frame's JPEG (frame indices are not zero-padded)."""
    return f"{images_key}_{frame}"


def is_rgb_image_key(images_key: str) -> bool:
    """Whether an image stack keeps 3 channels: the original keys this on ``rgb`` in the name."""
    return "rgb" in images_key


def is_jpeg_stack_key(key: str) -> bool:
    """Whether the writer stores this image stack as one JPEG member per frame (depth is one ``.pth``)."""
    return key.endswith("images") and key != DEPTH_IMAGES_KEY


def camera_key(camera_label: str, field: str) -> str:
    """Flattened key of a camera field: ``mfcd#<camera label>+<field>``."""
    return f"{CAMERA_PREFIX}{camera_label}+{field}"


def split_camera_key(key: str) -> tuple[str, str] | None:
    """``("camera-rgb", "images")`` for ``"mfcd#camera-rgb+images"``; None for keys of other groups."""
    if not key.startswith(CAMERA_PREFIX):
        return None
    label, plus, field = key[len(CAMERA_PREFIX) :].partition("+")
    return (label, field) if plus and label and field else None


def gt_member_key(path: tuple[str, ...]) -> str:
    """Flattened key of a ground-truth tensor at a nesting path: ``gt_data#a+b+c``."""
    for part in path:
        if not part or "+" in part or "." in part or "/" in part:
            raise UsageError(
                f"ground-truth key {part!r} (in {'/'.join(path)}) must be non-empty without '+', '.', '/'"
            )
    return GT_TENSOR_PREFIX + "+".join(path)


def gt_path(key: str) -> tuple[str, ...] | None:
    """The nesting path of a ``gt_data#a+b+c`` key, or None for other keys."""
    if not key.startswith(GT_TENSOR_PREFIX):
        return None
    return split_gt_path(key[len(GT_TENSOR_PREFIX) :])


def split_gt_path(joined: str) -> tuple[str, ...]:
    """``("a", "b", "c")`` for ``"a+b+c"``: a ground-truth nesting path without its ``gt_data#`` prefix."""
    return tuple(joined.split("+"))
