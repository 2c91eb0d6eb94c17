"""Seeing what a shard holds: summaries (``atek-store inspect``) and drawings (``atek-store render``)."""

from __future__ import annotations

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
