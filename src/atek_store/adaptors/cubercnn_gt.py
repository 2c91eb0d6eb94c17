"""CubeRCNN inputs or predictions -> ATEK obb3/obb2 ground-truth dicts (for evaluation and export).

The reverse of the CubeRCNN adaptor, with the original's output layout: ``{"obb3_gt": {camera:
{...}}, "obb2_gt": {camera: {...}}, "scores": [N]}``, where instance ids and visibility ratios are
None (a prediction has neither), dimensions go back to x, y, z, poses to ``T_world_object`` and
boxes to ``[xmin, xmax, ymin, ymax]``. Ground-truth instances (``gt_*`` fields) are read as
predictions with score 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from atek_store.categories import ATEK_CATEGORY_NAMES
from atek_store.errors import AdaptorError
from atek_store.geometry import compose, orthonormalize

__all__ = ["cubercnn_gt_to_atek_gt"]


def _prediction_fields(fields: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    if "pred_classes" in fields:
        return {
            "classes": fields["pred_classes"],
            "boxes": fields["pred_boxes"].tensor,
            "dimensions": fields["pred_dimensions"],
            "centres": fields["pred_center_cam"],
            "rotations": fields["pred_pose"],
            "scores": fields["scores"],
        }
    boxes3d = fields["gt_boxes3D"]
    return {
        "classes": fields["gt_classes"],
        "boxes": fields["gt_boxes"].tensor,
        "dimensions": boxes3d[:, 3:6],
        "centres": boxes3d[:, 6:9],
        "rotations": fields["gt_poses"],
        "scores": torch.ones(len(fields["gt_classes"]), dtype=torch.float32),
    }


def _names(category_ids: torch.Tensor) -> list[str]:
    names = []
    for category in category_ids.tolist():
        if not 0 <= category < len(ATEK_CATEGORY_NAMES):
            raise AdaptorError(
                f"category id {category} is not an ATEK category id (0..{len(ATEK_CATEGORY_NAMES) - 1}); "
                "pass cubercnn_id_to_atek_id to translate the model's ids"
            )
        names.append(ATEK_CATEGORY_NAMES[category])
    return names


def cubercnn_gt_to_atek_gt(
    cubercnn_dict: Mapping[str, Any],
    T_world_camera_np: np.ndarray | torch.Tensor,
    camera_label: str = "camera-rgb",
    cubercnn_id_to_atek_id: Mapping[int, int] | None = None,
) -> dict[str, Any] | None:
    """One CubeRCNN sample or prediction (its ``instances``) as ATEK ``obb3_gt``/``obb2_gt`` of one camera.

    Args:
        cubercnn_dict: a dict with ``instances`` (``pred_*`` fields and ``scores``, or ``gt_*`` fields).
        T_world_camera_np: ``[3, 4]`` pose of the camera in the world (the sample's ``T_world_camera``).
        camera_label: the camera the boxes belong to.
        cubercnn_id_to_atek_id: model category id -> ATEK id; the ids become int32 as in the original.

    Returns:
        The dict, or None when there are no instances. The instances are not modified.

    Raises:
        AdaptorError: a category id has no ATEK name, or has no entry in ``cubercnn_id_to_atek_id``.
    """
    instances = cubercnn_dict["instances"]
    if len(instances) == 0:
        return None
    fields = _prediction_fields(instances.get_fields())
    classes = fields["classes"].detach().cpu()
    if cubercnn_id_to_atek_id is not None:
        try:
            category_ids = torch.tensor(
                [cubercnn_id_to_atek_id[c] for c in classes.tolist()], dtype=torch.int32
            )
        except KeyError as missing:
            raise AdaptorError(f"category id {missing} has no entry in cubercnn_id_to_atek_id") from None
    else:
        category_ids = classes
    names = _names(category_ids)
    ts_camera_object = torch.cat(
        [fields["rotations"].detach().cpu(), fields["centres"].detach().cpu().unsqueeze(2)], dim=2
    )
    t_world_camera = torch.as_tensor(T_world_camera_np, dtype=torch.float64).reshape(3, 4)
    ts_world_object = compose(orthonormalize(t_world_camera), orthonormalize(ts_camera_object))
    boxes = fields["boxes"].detach().cpu()
    return {
        "obb3_gt": {
            camera_label: {
                "instance_ids": None,
                "category_names": names,
                "category_ids": category_ids,
                "object_dimensions": torch.flip(fields["dimensions"].detach().cpu(), dims=[1]),
                "ts_world_object": ts_world_object.to(torch.float32),
            }
        },
        "obb2_gt": {
            camera_label: {
                "instance_ids": None,
                "category_names": list(names),
                "category_ids": category_ids.clone(),
                "visibility_ratios": None,
                "box_ranges": boxes[:, [0, 2, 1, 3]],  # x0 y0 x1 y1 -> xmin xmax ymin ymax
            }
        },
        "scores": fields["scores"].detach().cpu(),
    }
