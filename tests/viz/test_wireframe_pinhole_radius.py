"""A pinhole camera's valid radius (synthetic efm samples carry one) does not cut its wireframes."""

from __future__ import annotations

import numpy as np
import torch

from atek_store.geometry import CameraModel
from atek_store.viz import project_boxes


def test_pinhole_wireframes_ignore_the_valid_radius() -> None:
    pinhole = CameraModel.linear(200.0, 200.0, 159.5, 119.5)
    pose = torch.tensor(
        [[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 2.0]]], dtype=torch.float64
    )
    size = torch.tensor([[5.0, 0.2, 0.2]])  # a bar whose ends project beyond the image corners
    (plain,) = project_boxes(pinhole, pose, size, image_size=(320, 240))
    (with_radius,) = project_boxes(pinhole, pose, size, image_size=(320, 240), valid_radius=199.6)
    # The 4 long edges cross the image (clipped to it plus a margin); the short end edges lie beyond.
    assert len(with_radius.polylines) == len(plain.polylines) == 4
    for a, b in zip(plain.polylines, with_radius.polylines, strict=True):
        assert np.array_equal(a, b)
