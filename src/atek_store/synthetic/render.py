"""Ray-cast a scene into one camera: flat-shaded image, depth, and per-object pixel counts.

Every pixel's ray is intersected with every box (slab test in the box's frame) and with the
room's walls, floor and ceiling from inside; the nearest hit wins. The same pass yields the
z-depth and distance of every pixel and, per box, how many pixels it covers unoccluded and how
many stay visible, which is the visibility ratio of the 2D ground truth.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import numpy as np

from atek_store.synthetic.rig import SyntheticCamera
from atek_store.synthetic.scene import Scene

__all__ = ["Rendering", "render_view"]

_LIGHT = np.array([0.35, -0.8, 0.45])
_LIGHT /= np.linalg.norm(_LIGHT)


@dataclass(frozen=True)
class Rendering:
    """What one camera sees at one instant."""

    image: np.ndarray  # uint8 [C, H, W]
    z_depth: np.ndarray  # float32 [H, W], metres along the optical axis
    distance: np.ndarray  # float32 [H, W], metres along the ray
    object_index: np.ndarray  # int32 [H, W], index into scene.boxes, -1 for the room
    covered_pixels: np.ndarray  # int64 [num boxes]: pixels each box would cover without occlusion
    visible_pixels: np.ndarray  # int64 [num boxes]: pixels where each box is the nearest surface


def _category_colour(category: int) -> np.ndarray:
    hue = (category * 0.137) % 1.0
    return np.array(colorsys.hsv_to_rgb(hue, 0.55, 0.9))


def _shade(normal_world: np.ndarray) -> np.ndarray:
    return np.asarray(0.45 + 0.55 * np.clip(-(normal_world @ _LIGHT), 0.0, 1.0))


def _screen_window(corners_camera: np.ndarray, camera: SyntheticCamera) -> tuple[slice, slice] | None:
    """Rows and columns a box can cover (its projected corners' bounds); everything if it straddles z = 0."""
    full = (slice(0, camera.height), slice(0, camera.width))
    if (corners_camera[:, 2] <= 1e-3).any():
        return None if (corners_camera[:, 2] <= 1e-3).all() else full
    u = camera.fx * corners_camera[:, 0] / corners_camera[:, 2] + camera.cx
    v = camera.fy * corners_camera[:, 1] / corners_camera[:, 2] + camera.cy
    c0, c1 = max(0, int(np.floor(u.min()))), min(camera.width, int(np.ceil(u.max())) + 1)
    r0, r1 = max(0, int(np.floor(v.min()))), min(camera.height, int(np.ceil(v.max())) + 1)
    if c0 >= c1 or r0 >= r1:
        return None
    return slice(r0, r1), slice(c0, c1)


def render_view(scene: Scene, camera: SyntheticCamera, t_world_camera: np.ndarray) -> Rendering:
    """Render ``scene`` as seen by ``camera`` placed at ``t_world_camera`` (float64 ``[3, 4]``)."""
    height, width = camera.height, camera.width
    u, v = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
    # z = 1, so a ray's parameter t is the z-depth of what it hits
    rays_camera = np.stack(
        [(u - camera.cx) / camera.fx, (v - camera.cy) / camera.fy, np.ones_like(u)], axis=-1
    )
    rotation, origin = t_world_camera[:, :3], t_world_camera[:, 3]
    rays_world = rays_camera @ rotation.T  # [H, W, 3]

    # The room, seen from inside: the ray leaves through the nearest of the six planes.
    room_min, room_max = scene.room.minimum, scene.room.maximum
    with np.errstate(divide="ignore", invalid="ignore"):
        exits = np.where(rays_world > 0, (room_max - origin) / rays_world, (room_min - origin) / rays_world)
    exits = np.where(np.isfinite(exits) & (exits > 0), exits, np.inf)
    axis = np.argmin(exits, axis=-1)
    best_t = np.take_along_axis(exits, axis[..., None], axis=-1)[..., 0]
    hit = origin + rays_world * best_t[..., None]
    floor = (axis == 1) & (rays_world[..., 1] < 0)
    checker = (np.floor(hit[..., 0] * 2) + np.floor(hit[..., 2] * 2)) % 2
    colour = np.array([0.78, 0.76, 0.72]) * (0.85 + 0.15 * (hit[..., 1:2] / scene.room.height))
    colour[floor] = np.where(checker[floor, None] > 0, 0.55, 0.42) * np.array([0.9, 0.85, 0.8])
    best_index = np.full((height, width), -1, dtype=np.int32)
    covered = np.zeros(len(scene.boxes), dtype=np.int64)

    for index, box in enumerate(scene.boxes):
        r_wo, t_wo = box.t_world_object[:, :3], box.t_world_object[:, 3]
        window = _screen_window((box.corners_world() - origin) @ rotation, camera)
        if window is None:
            continue
        rays_object = rays_world[window] @ r_wo  # [h, w, 3]
        origin_object = r_wo.T @ (origin - t_wo)
        half = np.asarray(box.dimensions) / 2.0
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = (-half - origin_object) / rays_object
            t2 = (half - origin_object) / rays_object
        near = np.nan_to_num(np.minimum(t1, t2), nan=-np.inf)
        far = np.nan_to_num(np.maximum(t1, t2), nan=np.inf)
        entry_axis = np.argmax(near, axis=-1)
        t_in = np.take_along_axis(near, entry_axis[..., None], axis=-1)[..., 0]
        t_out = far.min(axis=-1)
        hits = (t_in <= t_out) & (t_in > 1e-6)
        covered[index] = int(hits.sum())
        best_window = best_t[window]
        nearer = hits & (t_in < best_window)
        if not nearer.any():
            continue
        best_window[nearer] = t_in[nearer]
        best_index[window][nearer] = index
        normal_object = np.zeros((int(nearer.sum()), 3))
        ray_sign = np.sign(np.take_along_axis(rays_object, entry_axis[..., None], axis=-1)[..., 0][nearer])
        normal_object[np.arange(normal_object.shape[0]), entry_axis[nearer]] = -ray_sign
        shade = _shade(normal_object @ r_wo.T)
        colour[window][nearer] = _category_colour(box.category_id) * shade[:, None]

    visible = np.bincount(best_index[best_index >= 0], minlength=len(scene.boxes)).astype(np.int64)
    rgb = np.clip(colour * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if camera.channels == 1:
        image = (rgb @ np.array([0.299, 0.587, 0.114])).clip(0, 255).astype(np.uint8)[None]
    else:
        image = np.ascontiguousarray(rgb.transpose(2, 0, 1))
    distance = best_t * np.linalg.norm(rays_camera, axis=-1)
    return Rendering(
        image=image,
        z_depth=best_t.astype(np.float32),
        distance=distance.astype(np.float32),
        object_index=best_index,
        covered_pixels=covered,
        visible_pixels=visible,
    )
