"""Draw a sample: its camera frames side by side with 2D boxes, 3D box wireframes and category labels.

Rows are frames, columns are cameras (rgb, slam left, slam right, depth). On each frame the 2D GT
boxes (``obb2_gt``) are drawn as rectangles and the 3D GT boxes (``obb3_gt`` or the frame's
``efm_gt``) as wireframes projected through the camera's own model (LINEAR or FISHEYE624), each
in its category's colour and labelled with the category name.
"""

from __future__ import annotations

import colorsys
import dataclasses
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from atek_store.atomic import atomic_write_bytes
from atek_store.categories import category_name
from atek_store.errors import UsageError
from atek_store.format.limits import ReadLimits
from atek_store.geometry import compose, invert
from atek_store.http import HttpOptions
from atek_store.viz.frames import FrameView, frame_views
from atek_store.viz.source import read_sample
from atek_store.viz.wireframe import project_boxes

__all__ = [
    "Panel",
    "RenderOptions",
    "RenderedSample",
    "category_colour",
    "render_sample",
    "render_shard_sample",
]

_BACKGROUND = (24, 24, 28)
_TEXT = (235, 235, 235)
_GAP = 6
_MIN_PANEL_HEIGHT = 360  # small frames (efm: 240 px) are enlarged to be readable
_MAX_PANEL_HEIGHT = 1024  # big frames (cubercnn: 1408 px) are reduced
# Depth colours from near (red) to far (blue).
_DEPTH_COLOURS = np.array(
    [[round(c * 255) for c in colorsys.hsv_to_rgb(0.66 * i / 255, 0.85, 0.95)] for i in range(256)],
    dtype=np.uint8,
)


@dataclass(frozen=True)
class RenderOptions:
    """How to draw a sample."""

    panel_height: int | None = None  # pixels per frame row; None: natural size kept within 360..1024
    boxes_2d: bool = True
    boxes_3d: bool = True
    labels: bool = True
    line_width: int | None = None  # None: grows with the panel size

    def __post_init__(self) -> None:
        if self.panel_height is not None and self.panel_height < 16:
            raise UsageError(f"panel height must be at least 16 pixels, got {self.panel_height}")
        if self.line_width is not None and self.line_width < 1:
            raise UsageError(f"line width must be at least 1 pixel, got {self.line_width}")


@dataclass(frozen=True)
class Panel:
    """Where one frame landed on the canvas: its image area and the scale from frame pixels."""

    camera: str
    frame: int
    left: int
    top: int
    width: int
    height: int
    scale: float
    boxes_2d: int = 0  # rectangles drawn on this frame
    boxes_3d: int = 0  # wireframes with at least one visible edge drawn on this frame

    def to_canvas(self, pixels: np.ndarray) -> np.ndarray:
        """Frame pixel coordinates ``[..., 2]`` (pixel centres at integers) -> canvas coordinates."""
        offset = np.array([self.left, self.top], dtype=np.float64)
        canvas: np.ndarray = (np.asarray(pixels, dtype=np.float64) + 0.5) * self.scale - 0.5 + offset
        return canvas


@dataclass(frozen=True)
class RenderedSample:
    """The drawing, where each frame is on it, and how many boxes were drawn."""

    image: Image.Image
    panels: tuple[Panel, ...]
    boxes_2d: int
    boxes_3d: int

    def panel(self, camera: str, frame: int = 0) -> Panel:
        """The panel of one camera's frame."""
        for panel in self.panels:
            if panel.camera == camera and panel.frame == frame:
                return panel
        raise UsageError(
            f"no panel for {camera} frame {frame}; the image has {[(p.camera, p.frame) for p in self.panels]}"
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the image (format from the suffix, e.g. ``.png``) atomically: temp file, then rename."""
        target = Path(path)
        image_format = _image_format(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        encoded = io.BytesIO()
        self.image.save(encoded, format=image_format)
        atomic_write_bytes(target, encoded.getvalue())
        return target


def _image_format(target: Path) -> str:
    image_format = Image.registered_extensions().get(target.suffix.lower())
    if image_format is None:
        raise UsageError(f"--out {target}: unknown image suffix {target.suffix!r}; use .png")
    return image_format


def category_colour(category_id: int) -> tuple[int, int, int]:
    """A bright colour per category (golden-ratio hues); grey for ``other`` (id 0)."""
    if category_id <= 0:
        return (200, 200, 200)
    red, green, blue = colorsys.hsv_to_rgb((category_id * 0.618034) % 1.0, 0.8, 1.0)
    return (round(red * 255), round(green * 255), round(blue * 255))


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _frame_picture(view: FrameView) -> Image.Image:
    image = view.image
    if view.is_depth:
        depth = image[0].to(torch.float32).numpy()
        valid = np.isfinite(depth) & (depth > 0)
        picture = np.zeros((*depth.shape, 3), dtype=np.uint8)
        if valid.any():
            low, high = np.percentile(depth[valid], [2, 98])
            farness = np.clip((depth - low) / max(float(high - low), 1e-6), 0.0, 1.0)
            picture[valid] = _DEPTH_COLOURS[np.round(farness[valid] * 255).astype(np.intp)]
        return Image.fromarray(picture)
    array = image.to(torch.uint8).numpy()
    if array.shape[0] == 1:
        return Image.fromarray(np.ascontiguousarray(array[0])).convert("RGB")
    return Image.fromarray(np.ascontiguousarray(array[:3].transpose(1, 2, 0)))


def _ids_and_names(gt: Mapping[str, Any], count: int) -> tuple[list[int], list[str]]:
    ids = gt.get("category_ids")
    id_list = [int(i) for i in ids.tolist()] if isinstance(ids, torch.Tensor) else [0] * count
    names = gt.get("category_names")
    name_list = [str(n) for n in names] if isinstance(names, list) and len(names) == count else []
    return id_list, name_list or [category_name(i) for i in id_list]


@dataclass
class _Label:
    text: str
    colour: tuple[int, int, int]
    x: float
    y: float


def _draw_labels(
    draw: ImageDraw.ImageDraw, labels: list[_Label], size: tuple[int, int], font_size: int
) -> None:
    font = _font(font_size)
    for label in labels:
        left, top, right, bottom = draw.textbbox((0, 0), label.text, font=font)
        width, height = right - left + 4, bottom - top + 4
        x = min(max(label.x, 0), size[0] - width)
        y = min(max(label.y - height, 0), size[1] - height)
        draw.rectangle((x, y, x + width, y + height), fill=label.colour)
        luminance = 0.299 * label.colour[0] + 0.587 * label.colour[1] + 0.114 * label.colour[2]
        ink = (0, 0, 0) if luminance > 140 else (255, 255, 255)
        draw.text((x + 2 - left, y + 2 - top), label.text, fill=ink, font=font)


def _draw_frame(view: FrameView, panel: Panel, options: RenderOptions) -> tuple[Image.Image, int, int]:
    picture = _frame_picture(view).resize((panel.width, panel.height), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(picture)
    line = options.line_width or max(2, round(panel.height / 340))
    local = Panel(panel.camera, panel.frame, 0, 0, panel.width, panel.height, panel.scale)
    labels: list[_Label] = []
    drawn_2d = drawn_3d = 0
    obb2 = view.obb2
    if options.boxes_2d and obb2 is not None and isinstance(obb2.get("box_ranges"), torch.Tensor):
        ranges = obb2["box_ranges"].to(torch.float64).numpy().reshape(-1, 4)
        ids, names = _ids_and_names(obb2, len(ranges))
        for (xmin, xmax, ymin, ymax), category, name in zip(ranges, ids, names, strict=True):
            (x0, y0), (x1, y1) = local.to_canvas(np.array([[xmin, ymin], [xmax, ymax]]))
            colour = category_colour(category)
            draw.rectangle((x0, y0, x1, y1), outline=colour, width=max(1, line - 1))
            labels.append(_Label(name, colour, x0, y0))
            drawn_2d += 1
    obb3 = view.obb3
    if options.boxes_3d and obb3 is not None and view.model is not None and view.t_world_camera is not None:
        poses, sizes = obb3.get("ts_world_object"), obb3.get("object_dimensions")
        if isinstance(poses, torch.Tensor) and isinstance(sizes, torch.Tensor) and poses.numel():
            ts_camera_object = compose(invert(view.t_world_camera), poses.to(torch.float64).reshape(-1, 3, 4))
            projected = project_boxes(
                view.model,
                ts_camera_object,
                sizes.reshape(-1, 3),
                image_size=(view.width, view.height),
                valid_radius=view.valid_radius,
            )
            ids, names = _ids_and_names(obb3, len(projected))
            for box in projected:
                colour = category_colour(ids[box.index])
                for polyline in box.polylines:
                    points = [tuple(p) for p in local.to_canvas(polyline).tolist()]
                    draw.line(points, fill=colour, width=line, joint="curve")
                if box.polylines:
                    drawn_3d += 1
                if box.anchor is not None and not drawn_2d:
                    x, y = local.to_canvas(np.array(box.anchor))
                    labels.append(_Label(names[box.index], colour, x, y))
    if options.labels:
        _draw_labels(draw, labels, picture.size, max(12, round(panel.height / 48)))
    return picture, drawn_2d, drawn_3d


def _scale(views: list[list[FrameView]], options: RenderOptions) -> float:
    tallest = max(view.height for row in views for view in row)
    if options.panel_height is not None:
        return options.panel_height / tallest
    target = min(max(tallest, _MIN_PANEL_HEIGHT), _MAX_PANEL_HEIGHT)
    return target / tallest


def _caption(view: FrameView) -> str:
    parts = [view.camera, f"frame {view.frame}"]
    if view.model is not None and not view.is_depth:
        parts.append(view.model.model_name.removeprefix("CameraModelType."))
    if view.is_depth:
        parts.append("depth")
    if view.timestamp_ns is not None:
        parts.append(f"{view.timestamp_ns} ns")
    return "  |  ".join(parts)


def render_sample(sample: Mapping[str, Any], options: RenderOptions | None = None) -> RenderedSample:
    """Draw a decoded sample (from ``iter_shard``, :func:`read_sample` or the loader).

    Raises:
        UsageError: the sample has no camera images to draw.
        FormatError: its images or calibrations are malformed.
    """
    options = options or RenderOptions()
    views = frame_views(sample)
    if not views or not views[0]:
        raise UsageError(
            f"sample {sample.get('__key__')!r} has no camera images (mfcd#<camera>+images) to draw"
        )
    scale = _scale(views, options)
    caption_size = max(13, round(max(v.height for row in views for v in row) * scale / 40))
    caption_font = _font(caption_size)
    caption_height = caption_size + 10
    title_height = caption_size + 16
    columns = max(len(row) for row in views)
    column_widths = [
        max(round(row[c].width * scale) for row in views if c < len(row)) for c in range(columns)
    ]
    row_heights = [max(round(view.height * scale) for view in row) for row in views]
    title = f"{sample.get('__key__', '')}   sequence {sample.get('sequence_name', '?')}"
    title_width = int(caption_font.getbbox(title)[2]) + 2 * _GAP
    canvas_width = max(sum(column_widths) + _GAP * (columns + 1), title_width)
    canvas_height = title_height + sum(h + caption_height + _GAP for h in row_heights) + _GAP
    canvas = Image.new("RGB", (canvas_width, canvas_height), _BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    draw.text((_GAP, 6), title, fill=_TEXT, font=caption_font)

    panels: list[Panel] = []
    drawn_2d = drawn_3d = 0
    top = title_height
    for row, row_height in zip(views, row_heights, strict=True):
        left = _GAP
        for column, view in enumerate(row):
            panel = Panel(
                view.camera,
                view.frame,
                left,
                top + caption_height,
                round(view.width * scale),
                round(view.height * scale),
                scale,
            )
            picture, boxes_2d, boxes_3d = _draw_frame(view, panel, options)
            canvas.paste(picture, (panel.left, panel.top))
            draw.text((left, top + 3), _caption(view), fill=_TEXT, font=caption_font)
            panels.append(dataclasses.replace(panel, boxes_2d=boxes_2d, boxes_3d=boxes_3d))
            drawn_2d += boxes_2d
            drawn_3d += boxes_3d
            left += column_widths[column] + _GAP
        top += row_height + caption_height + _GAP
    return RenderedSample(canvas, tuple(panels), drawn_2d, drawn_3d)


def render_shard_sample(
    source: str | os.PathLike[str],
    index: int,
    out: str | os.PathLike[str],
    *,
    options: RenderOptions | None = None,
    http_options: HttpOptions | None = None,
    limits: ReadLimits | None = None,
) -> RenderedSample:
    """Read sample ``index`` of a shard (path or http(s) URL), draw it and write the image to ``out``.

    ``limits`` are the readers' ceilings (default: ``ReadLimits()`` with ``ATEK_STORE_READ_LIMITS``).
    """
    target = Path(out)
    _image_format(target)  # refuse a bad --out before reading anything
    rendered = render_sample(read_sample(source, index, http_options=http_options, limits=limits), options)
    rendered.save(target)
    return rendered
