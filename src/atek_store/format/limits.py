"""The ceilings every shard reader enforces: a hostile shard ends in our error, never in a hang or OOM.

A shard is untrusted input (it may come from any server): every size it declares is checked
against a ceiling *before* anything is allocated for it. The defaults leave about 10x room over
the largest member (a 5 MB depth stack or semidense block) and sample (~12 MB) of the real ATEK
store, and keep a reader of a hostile stream well under 500 MB; raise them for data of your own with
``ReadLimits(max_member_bytes=...)`` passed to the loader, ``iter_shard``, ``inspect`` / ``render``
(through the API), or for every command at once with the environment variable
``ATEK_STORE_READ_LIMITS="max_member_bytes=1G,max_image_pixels=64M"`` (read by
:mod:`atek_store.settings`).

This module imports nothing heavy: the tar reader and ``publish --check tar`` use it without torch.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from atek_store import settings
from atek_store.errors import UsageError

__all__ = ["ReadLimits", "read_limits"]

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


@dataclass(frozen=True, kw_only=True)
class ReadLimits:
    """Ceilings on what one shard may make a reader hold.

    Args:
        max_member_bytes: one tar member's payload (the largest real ATEK member, a depth stack, is
            about 5 MB); also the largest tensor a ``.pth`` member may expand to.
        max_header_bytes: one PAX or GNU long-name header's payload (real ones are ~100 bytes).
        max_sample_bytes: all members of one sample together (payloads and names; a real efm
            sample is ~12 MB), and the decoded image stack of one camera.
        max_image_pixels: width x height of one JPEG frame, checked on its header before decoding
            (real ATEK frames are at most 2880x2880).
        max_frames: frames of one camera's image stack, and entries of the semidense lengths.
        max_json_depth: nesting depth of a ``.json`` member, and of ``gt_data`` with its tensors
            merged back (real ``gt_data`` is 5 deep).
    """

    max_member_bytes: int = 64 << 20
    max_header_bytes: int = 1 << 20
    max_sample_bytes: int = 128 << 20
    max_image_pixels: int = 4096 * 4096
    max_frames: int = 4096
    max_json_depth: int = 64

    def __post_init__(self) -> None:
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            if type(value) is not int or value < 1:
                message = f"ReadLimits.{spec.name} must be a positive integer, got {value!r}"
                raise UsageError(message, flag=spec.name)

    @classmethod
    def parse(cls, text: str, *, base: ReadLimits | None = None, source: str = "read limits") -> ReadLimits:
        """``"max_member_bytes=1G,max_image_pixels=64M"`` over ``base`` (default: the defaults).

        Values are integers with an optional binary suffix ``k``, ``M``, ``G`` or ``T``.

        Raises:
            UsageError: an unknown name or a value that is not a positive integer.
        """
        names = {spec.name for spec in dataclasses.fields(cls)}
        changes: dict[str, int] = {}
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            name, equals, value = (piece.strip() for piece in item.partition("="))
            if not equals or name not in names:
                raise UsageError(
                    f"{source}: {item[:80]!r} is not 'name=value' with a name among "
                    f"{', '.join(sorted(names))}",
                    flag=name or None,
                )
            changes[name] = _size(value, name=name, source=source)
        return dataclasses.replace(base or cls(), **changes)


def _size(text: str, *, name: str, source: str) -> int:
    digits, unit = (text[:-1], text[-1:].lower()) if text[-1:].isalpha() else (text, "")
    if unit not in _UNITS or not (digits.isascii() and digits.isdigit()) or len(digits) > 18:
        raise UsageError(
            f"{source}: {name}={text[:40]!r} is not a positive integer (suffixes k, M, G, T allowed)",
            flag=name,
        )
    return int(digits) * _UNITS[unit]


def read_limits(limits: ReadLimits | None = None) -> ReadLimits:
    """``limits`` if given, else the defaults with ``ATEK_STORE_READ_LIMITS`` applied.

    Raises:
        UsageError: the environment variable is malformed.
    """
    if limits is not None:
        return limits
    spec = settings.read_limits_spec()
    if not spec:
        return ReadLimits()
    return ReadLimits.parse(spec, source="ATEK_STORE_READ_LIMITS")
