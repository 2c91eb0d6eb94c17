"""Seeing what a shard holds: summaries (``atek-store inspect``) and drawings (``atek-store render``)."""

import typing

from atek_store import _lazy

# Public name -> the module that defines it; imported on first use (see atek_store._lazy).
_LAZY: dict[str, str] = {
    "BOX_EDGES": "atek_store.viz.wireframe",
    "CAMERA_ORDER": "atek_store.viz.frames",
    "CameraSummary": "atek_store.viz.summary",
    "FrameView": "atek_store.viz.frames",
    "GroundTruthSummary": "atek_store.viz.summary",
    "KeySummary": "atek_store.viz.summary",
    "Panel": "atek_store.viz.render",
    "ProjectedBox": "atek_store.viz.wireframe",
    "RenderOptions": "atek_store.viz.render",
    "RenderedSample": "atek_store.viz.render",
    "SampleSummary": "atek_store.viz.summary",
    "ShardSummary": "atek_store.viz.summary",
    "box_corners": "atek_store.viz.wireframe",
    "camera_labels": "atek_store.viz.frames",
    "category_colour": "atek_store.viz.render",
    "clip_segment": "atek_store.viz.wireframe",
    "frame_views": "atek_store.viz.frames",
    "iter_shard_samples": "atek_store.viz.source",
    "project_boxes": "atek_store.viz.wireframe",
    "read_sample": "atek_store.viz.source",
    "render_sample": "atek_store.viz.render",
    "render_shard_sample": "atek_store.viz.render",
    "summarize_sample": "atek_store.viz.summary",
    "summarize_shard": "atek_store.viz.summary",
}

if typing.TYPE_CHECKING:
    from atek_store.viz.frames import CAMERA_ORDER, FrameView, camera_labels, frame_views
    from atek_store.viz.render import (
        Panel,
        RenderedSample,
        RenderOptions,
        category_colour,
        render_sample,
        render_shard_sample,
    )
    from atek_store.viz.source import iter_shard_samples, read_sample
    from atek_store.viz.summary import (
        CameraSummary,
        GroundTruthSummary,
        KeySummary,
        SampleSummary,
        ShardSummary,
        summarize_sample,
        summarize_shard,
    )
    from atek_store.viz.wireframe import BOX_EDGES, ProjectedBox, box_corners, clip_segment, project_boxes
else:
    __getattr__, __dir__ = _lazy.attach(__name__, _LAZY)

__all__ = [
    "BOX_EDGES",
    "CAMERA_ORDER",
    "CameraSummary",
    "FrameView",
    "GroundTruthSummary",
    "KeySummary",
    "Panel",
    "ProjectedBox",
    "RenderOptions",
    "RenderedSample",
    "SampleSummary",
    "ShardSummary",
    "box_corners",
    "camera_labels",
    "category_colour",
    "clip_segment",
    "frame_views",
    "iter_shard_samples",
    "project_boxes",
    "read_sample",
    "render_sample",
    "render_shard_sample",
    "summarize_sample",
    "summarize_shard",
]
