"""Decoding the JPEG frames of one camera into a uint8 ``[F, C, H, W]`` stack, within the ceilings.

The first frame's header gives the stack's size, which is held against :class:`ReadLimits`
(pixels per frame, frames, bytes of the stack) before the stack is allocated; every later frame
must declare the same size before it is decoded into place. Nothing a JPEG declares can make
this module allocate past the ceilings, and a failed decode releases the scratch buffer.
"""

from __future__ import annotations

import threading

import numpy as np
import simplejpeg
import torch

from atek_store.errors import ImageDecodeError, IncompleteSampleError
from atek_store.format.limits import ReadLimits

__all__ = ["MAX_JPEG_SCANS", "decode_jpeg_frames", "first_line"]

_DEFAULT_LIMITS = ReadLimits()
# A progressive JPEG is decoded scan by scan over the whole image: thousands of tiny scans make a
# small file take minutes. Real encoders write 1 (baseline) to ~10 scans; libjpeg-turbo's own
# guard (TJFLAG_LIMITSCANS) stops at 500.
MAX_JPEG_SCANS = 500
_START_OF_SCAN = b"\xff\xda"  # entropy-coded data escapes 0xFF, so this marker is only a marker
# Start-of-frame markers of progressive JPEGs: only those can hold many scans (a sequential JPEG has
# at most one per component), and many scans are what makes a small JPEG slow to decode.
_PROGRESSIVE_FRAMES = frozenset({0xC2, 0xC6, 0xCA, 0xCE})
_SEQUENTIAL_FRAMES = frozenset({0xC0, 0xC1, 0xC3, 0xC5, 0xC7, 0xC9, 0xCB, 0xCD, 0xCF})
_HEADER_SEGMENTS = 64  # segments walked before the frame header; past that, count scans anyway

_scratch = threading.local()


def _scratch_rgb(height: int, width: int) -> np.ndarray:
    """A reusable HWC buffer for this thread (never handed out: frames are copied out of it).

    Decoding into warm, already-mapped memory instead of a fresh 6 MB array per 1408x1408 frame
    saves the page faults, about 15% of the time per cubercnn sample. One buffer per thread, of the
    last size asked for: its size is bounded by the pixel ceiling checked before any decode, and
    :func:`_drop_scratch` releases it when a decode fails.
    """
    buffer: np.ndarray | None = getattr(_scratch, "buffer", None)
    if buffer is None or buffer.shape[:2] != (height, width):
        _scratch.buffer = None  # release the old one before allocating the new one
        buffer = _scratch.buffer = np.empty((height, width, 3), dtype=np.uint8)
    return buffer


def _drop_scratch() -> None:
    _scratch.buffer = None


def first_line(error: BaseException) -> str:
    """The first line of an error's message (a library's message can span many), at most 200 characters."""
    lines = str(error).splitlines()
    return (lines[0] if lines else type(error).__name__)[:200]


def _jpeg_header(data: bytes, shard: str | None, member: str) -> tuple[int, int, str]:
    try:
        height, width, colorspace, _ = simplejpeg.decode_jpeg_header(data)
    except (ValueError, RuntimeError, TypeError) as error:
        message = f"JPEG does not decode: {first_line(error)}"
        raise ImageDecodeError(message, shard=shard, member=member) from None
    scans = data.count(_START_OF_SCAN) if _may_have_many_scans(data) else 1
    if scans > MAX_JPEG_SCANS:
        raise ImageDecodeError(
            f"JPEG has {scans} scans, more than the {MAX_JPEG_SCANS} any encoder writes",
            shard=shard,
            member=member,
        )
    return int(height), int(width), str(colorspace)


def _may_have_many_scans(data: bytes) -> bool:
    """False for a sequential JPEG (found by walking the segments before its frame header), else True.

    Counting the scan markers reads the whole file (a third of the header check's cost on a 1408^2
    frame); a baseline JPEG, which is what ATEK writes, is known to be safe from its first segments.
    """
    position = 2  # after the start-of-image marker
    for _ in range(_HEADER_SEGMENTS):
        if position + 4 > len(data) or data[position] != 0xFF:
            return True
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in _SEQUENTIAL_FRAMES:
            return False
        if marker in _PROGRESSIVE_FRAMES or marker == 0xDA:
            return True
        position += 2 + ((data[position + 2] << 8) | data[position + 3])
    return True


def _decode_into(dest: np.ndarray, data: bytes, channels_last: bool, shard: str | None, member: str) -> None:
    """Decode one JPEG into ``dest``: ``[C, H, W]``, or ``[H, W, C]`` when ``channels_last``."""
    if channels_last:
        height, width, channels = dest.shape
    else:
        channels, height, width = dest.shape
    got_height, got_width, colorspace = _jpeg_header(data, shard, member)
    if (got_height, got_width) != (height, width):
        raise IncompleteSampleError(
            f"frames of one camera differ in size: {got_width}x{got_height} after {width}x{height}",
            shard=shard,
            member=member,
        )
    try:
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
    except (ValueError, RuntimeError, TypeError, MemoryError) as error:
        _drop_scratch()
        message = f"JPEG does not decode: {first_line(error)}"
        raise ImageDecodeError(message, shard=shard, member=member) from None
    if channels == 1:
        decoded = decoded[:, :, :1]
    # HWC -> CHW (a gray plane broadcasts to 3). numpy's strided copy runs on one thread; torch's
    # permute().contiguous() spreads it over the intra-op pool and is much slower on busy cores.
    np.copyto(dest, decoded if channels_last else decoded.transpose(2, 0, 1))


def _check_stack(
    frames: int, height: int, width: int, channels: int, limits: ReadLimits, shard: str | None, member: str
) -> None:
    """Refuse an image stack over the ceilings, before anything is allocated for it."""
    if height * width > limits.max_image_pixels:
        raise ImageDecodeError(
            f"JPEG declares {width}x{height} = {width * height} pixels, over the ceiling "
            f"max_image_pixels={limits.max_image_pixels}; if the shard is genuine, raise it "
            "(ReadLimits(max_image_pixels=...) or ATEK_STORE_READ_LIMITS)",
            shard=shard,
            member=member,
        )
    if frames > limits.max_frames:
        raise IncompleteSampleError(
            f"an image stack has {frames} frames, over the ceiling max_frames={limits.max_frames}",
            shard=shard,
            member=member,
        )
    if frames * height * width * channels > limits.max_sample_bytes:
        raise ImageDecodeError(
            f"{frames} frames of {width}x{height}x{channels} decode to {frames * height * width * channels} "
            f"bytes, over the ceiling max_sample_bytes={limits.max_sample_bytes}",
            shard=shard,
            member=member,
        )


def decode_jpeg_frames(
    frames: list[bytes],
    channels: int,
    *,
    shard: str | None = None,
    members: tuple[str, ...] = (),
    channels_last: bool = False,
    limits: ReadLimits | None = None,
) -> torch.Tensor:
    """Decode JPEG frames into one uint8 ``[F, C, H, W]`` tensor (Pillow-identical pixels).

    Grayscale JPEGs stay one channel unless ``channels`` is 3 (then the plane is repeated); colour
    JPEGs keep channel 0 only when ``channels`` is 1, as the original does for non-rgb cameras.

    With ``channels_last`` the tensor has the same shape and values but ``channels_last`` strides
    (``[F, H, W, C]`` in memory): colour frames are decoded straight into it, which saves the
    HWC -> CHW copy (about 15% of a 1408x1408 frame's cost). Call ``.contiguous()`` before
    ``.view()`` on such a tensor.

    Raises:
        ImageDecodeError: a frame does not decode, or the stack is over ``limits`` (checked on the
            first frame's header, before anything is allocated).
        IncompleteSampleError: the frames differ in size, or there are none.
    """
    if not frames:
        raise IncompleteSampleError("an image stack has no frames", shard=shard)
    names = [members[i] if i < len(members) else f"frame {i}" for i in range(len(frames))]
    height, width, _ = _jpeg_header(frames[0], shard, names[0])
    _check_stack(len(frames), height, width, channels, limits or _DEFAULT_LIMITS, shard, names[0])
    if channels_last:
        stack = np.empty((len(frames), height, width, channels), dtype=np.uint8)
    else:
        stack = np.empty((len(frames), channels, height, width), dtype=np.uint8)
    for i, data in enumerate(frames):
        _decode_into(stack[i], data, channels_last, shard, names[i])
    tensor = torch.from_numpy(stack)
    return tensor.permute(0, 3, 1, 2) if channels_last else tensor
