"""Synthetic efm samples carry every camera's valid radius, as real efm shards do (EFM3D needs it)."""

from __future__ import annotations

import itertools
import math

import torch

from atek_store.synthetic import SYNTHETIC_CONFIGS, camera_rig, generate_sequence


def test_every_efm_camera_has_a_valid_radius_covering_its_image() -> None:
    config = SYNTHETIC_CONFIGS["efm"]
    (sample,) = itertools.islice(generate_sequence(config, seed=0, index=0, name="s"), 1)
    for label, camera in camera_rig(rgb_size=config.rgb_size, slam_size=config.slam_size).items():
        radius = sample[f"mfcd#{label}+camera_valid_radius"]
        assert radius.dtype == torch.float32
        assert radius.shape == (1,)
        # A synthetic pinhole image has no vignette: the radius reaches the farthest corner.
        assert camera.valid_radius == math.hypot(camera.cx, camera.cy)
        assert float(radius) == float(torch.tensor(camera.valid_radius, dtype=torch.float32))


def test_cubercnn_samples_have_none_as_in_the_real_store() -> None:
    (sample,) = itertools.islice(
        generate_sequence(SYNTHETIC_CONFIGS["cubercnn"], seed=0, index=0, name="s"), 1
    )
    assert not [key for key in sample if key.endswith("camera_valid_radius")]
