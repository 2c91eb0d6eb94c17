"""The renderer draws box edges exactly where the camera model puts them, and renders the golden shards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from atek_store.errors import UsageError
from atek_store.format import iter_shard
from atek_store.geometry import CameraModel
from atek_store.viz import BOX_EDGES, RenderOptions, category_colour, render_sample, render_shard_sample
from tests.adaptors.scenes import RGB, Placement, sample_of

TABLE = Placement(501, (160, 150), 1.4, (1.2, 0.8, 0.5), category_id=5, yaw=0.5)
FISHEYE_PARAMS = [160.0, 159.5, 159.5, -0.3, 0.05] + [0.0] * 10
LINE = 3


@pytest.fixture(scope="module")
def table_sample() -> dict[str, Any]:
    return sample_of([TABLE])


def _pixels(sample: dict[str, Any], **options: Any) -> tuple[np.ndarray, Any]:
    rendered = render_sample(sample, RenderOptions(labels=False, line_width=LINE, **options))
    return np.asarray(rendered.image), rendered


def _changed(sample: dict[str, Any], **options: Any) -> tuple[np.ndarray, np.ndarray, Any]:
    """``(image with boxes, [K, 2] x/y of pixels that the boxes changed, rendering)``."""
    bare, _ = _pixels(sample, boxes_2d=False, boxes_3d=False)
    drawn, rendered = _pixels(sample, **options)
    ys, xs = np.nonzero((bare != drawn).any(axis=-1))
    return drawn, np.stack([xs, ys], axis=1).astype(np.float64), rendered


def _distance_to_segments(points: np.ndarray, segments: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    best = np.full(len(points), np.inf)
    for a, b in segments:
        direction = b - a
        t = np.clip(((points - a) @ direction) / max(float(direction @ direction), 1e-12), 0, 1)
        best = np.minimum(best, np.linalg.norm(points - (a + t[:, None] * direction), axis=1))
    return best


def _has_colour_near(
    image: np.ndarray, point: np.ndarray, colour: tuple[int, int, int], reach: int = 1
) -> bool:
    x, y = int(round(point[0])), int(round(point[1]))
    patch = image[y - reach : y + reach + 1, x - reach : x + reach + 1]
    return bool((patch == np.array(colour)).all(axis=-1).any())


def test_pinhole_wireframe_edges_are_drawn_at_the_projected_corners(table_sample: dict[str, Any]) -> None:
    image, changed, rendered = _changed(table_sample, boxes_2d=False)
    panel = rendered.panel("camera-rgb")
    corners = TABLE.corners_camera()
    projected = np.stack(
        [RGB.fx * corners[:, 0] / corners[:, 2] + RGB.cx, RGB.fy * corners[:, 1] / corners[:, 2] + RGB.cy], 1
    )
    canvas = panel.to_canvas(projected)
    colour = category_colour(TABLE.category_id)
    for a, b in BOX_EDGES:
        for t in np.linspace(0.1, 0.9, 9):
            assert _has_colour_near(image, canvas[a] + t * (canvas[b] - canvas[a]), colour), (a, b, t)
    # ...and nowhere else: every pixel the boxes changed lies on one of the 12 projected edges.
    assert len(changed) > 12 * 20
    distances = _distance_to_segments(changed, [(canvas[a], canvas[b]) for a, b in BOX_EDGES])
    assert distances.max() <= LINE
    assert rendered.boxes_3d == 1
    assert panel.boxes_3d == 1


def test_2d_boxes_are_drawn_on_their_box_ranges(table_sample: dict[str, Any]) -> None:
    image, changed, rendered = _changed(table_sample, boxes_3d=False)
    xmin, xmax, ymin, ymax = table_sample["gt_data"]["obb2_gt"]["camera-rgb"]["box_ranges"][0].tolist()
    panel = rendered.panel("camera-rgb")
    (x0, y0), (x1, y1) = panel.to_canvas(np.array([[xmin, ymin], [xmax, ymax]]))
    corners = [np.array(p) for p in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]
    sides = [(corners[i], corners[(i + 1) % 4]) for i in range(4)]
    colour = category_colour(TABLE.category_id)
    for a, b in sides:
        for t in np.linspace(0.05, 0.95, 7):
            assert _has_colour_near(image, a + t * (b - a), colour)
    assert _distance_to_segments(changed, sides).max() <= LINE
    assert rendered.boxes_2d == 1


def test_fisheye_wireframes_follow_the_lens_curves(table_sample: dict[str, Any]) -> None:
    fisheye = {
        **table_sample,
        "mfcd#camera-rgb+camera_model_name": "CameraModelType.FISHEYE624",
        "mfcd#camera-rgb+projection_params": torch.tensor(FISHEYE_PARAMS),
    }
    image, changed, rendered = _changed(fisheye, boxes_2d=False)
    panel = rendered.panel("camera-rgb")
    model = CameraModel.from_sample(fisheye, "camera-rgb")
    corners = TABLE.corners_camera()
    colour = category_colour(TABLE.category_id)
    curves = []
    bends = []
    for a, b in BOX_EDGES:
        points = corners[a] + np.linspace(0, 1, 301)[:, None] * (corners[b] - corners[a])
        curve = panel.to_canvas(model.project(torch.from_numpy(points)).pixels.numpy())
        curves.append(curve)
        for index in range(15, 300, 30):
            assert _has_colour_near(image, curve[index], colour), (a, b, index)
        middle, chord = curve[150], (curve[0] + curve[-1]) / 2
        bends.append(float(np.linalg.norm(middle - chord)))
    # The edges bend by more than the line width: a straight line between the corners would be off.
    assert max(bends) > 3 * LINE
    segments = [(c[i], c[i + 1]) for c in curves for i in range(len(c) - 1)]
    assert _distance_to_segments(changed, segments).max() <= LINE


def test_golden_cubercnn_sample_renders_every_box(golden_dir: Path, tmp_path: Path) -> None:
    shard = golden_dir / "wds" / "adt_cubercnn" / "shards-0000.tar"
    rendered = render_shard_sample(shard, 0, tmp_path / "cubercnn.png")
    assert rendered.boxes_2d == 91
    assert 80 <= rendered.boxes_3d <= 91  # boxes entirely behind the camera have nothing to draw
    (panel,) = rendered.panels
    assert (panel.width, panel.height) == (1024, 1024)  # 1408 px reduced to the 1024 px cap
    with Image.open(tmp_path / "cubercnn.png") as written:
        assert written.format == "PNG"
        assert written.size == rendered.image.size
    assert [p.name for p in tmp_path.iterdir()] == ["cubercnn.png"]


def test_golden_efm_samples_render_every_camera_and_frame(golden_dir: Path) -> None:
    samples = list(iter_shard(golden_dir / "wds" / "adt_efm_short" / "shards-0000.tar"))
    assert len(samples) == 2
    for sample in samples:
        rendered = render_sample(sample)
        cameras = {(p.camera, p.frame) for p in rendered.panels}
        assert cameras == {
            (camera, frame)
            for camera in ("camera-rgb", "camera-slam-left", "camera-slam-right", "camera-rgb-depth")
            for frame in (0, 1)
        }
        for panel in rendered.panels:
            # Every camera frame shows its efm_gt boxes; depth frames have none of their own.
            assert (panel.boxes_3d > 20) is (panel.camera != "camera-rgb-depth")
            assert panel.boxes_2d == 0
        slam = rendered.panel("camera-slam-left", 1)
        assert (slam.width, slam.height) == (480, 360)  # 320x240 enlarged to the 360 px minimum


def test_a_sample_without_images_cannot_be_drawn() -> None:
    with pytest.raises(UsageError, match="no camera images"):
        render_sample({"__key__": "k", "gt_data": {}})


def test_an_unknown_image_suffix_is_refused_before_reading(golden_dir: Path, tmp_path: Path) -> None:
    shard = golden_dir / "wds" / "adt_cubercnn" / "shards-0000.tar"
    with pytest.raises(UsageError, match="--out"):
        render_shard_sample(shard, 0, tmp_path / "sample.xyz")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("options", [{"panel_height": 4}, {"line_width": 0}])
def test_impossible_options_are_refused(options: dict[str, int]) -> None:
    with pytest.raises(UsageError):
        RenderOptions(**options)
