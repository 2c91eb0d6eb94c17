"""Rigid poses stored as 3x4 ``[R | t]`` tensors, ``T_A_B`` taking points from frame B to frame A."""

from __future__ import annotations

import torch

__all__ = ["compose", "invert", "orthonormalize", "rotation_about_axis", "to_3x4", "transform_points"]


def compose(t_a_b: torch.Tensor, t_b_c: torch.Tensor) -> torch.Tensor:
    """``T_A_C = T_A_B @ T_B_C`` for ``[..., 3, 4]`` poses (broadcasting over leading dims)."""
    r_ab, p_ab = t_a_b[..., :3], t_a_b[..., 3:]
    r_bc, p_bc = t_b_c[..., :3], t_b_c[..., 3:]
    return torch.cat([r_ab @ r_bc, r_ab @ p_bc + p_ab], dim=-1)


def invert(t_a_b: torch.Tensor) -> torch.Tensor:
    """``T_B_A`` from ``T_A_B`` (``[..., 3, 4]``)."""
    r_t = t_a_b[..., :3].transpose(-1, -2)
    return torch.cat([r_t, -r_t @ t_a_b[..., 3:]], dim=-1)


def orthonormalize(t_a_b: torch.Tensor) -> torch.Tensor:
    """``[..., 3, 4]`` poses in float64 with each rotation replaced by the nearest true rotation.

    Stored poses are float32, so their rotations are orthonormal only to about 1e-7. Building a
    Sophus ``SE3`` from such a matrix (as the original ATEK adaptors do) projects the rotation onto
    SO(3): the rotation closest in the Frobenius norm, ``U @ V^T`` from the SVD, with the sign of the
    last singular direction flipped when that would be a reflection. Doing the same here gives the
    original's float32 results bit for bit downstream.
    """
    pose = t_a_b.to(torch.float64)
    u, _, vh = torch.linalg.svd(pose[..., :3])
    # det(U V^T) is +1 or -1; scaling U's last column by it turns a reflection into a rotation.
    sign = torch.linalg.det(u @ vh)
    u = torch.cat([u[..., :2], u[..., 2:] * sign[..., None, None]], dim=-1)
    return torch.cat([u @ vh, pose[..., 3:]], dim=-1)


def transform_points(t_a_b: torch.Tensor, points_b: torch.Tensor) -> torch.Tensor:
    """Points ``[..., N, 3]`` in frame B expressed in frame A."""
    return points_b @ t_a_b[..., :3].transpose(-1, -2) + t_a_b[..., None, :, 3]


def to_3x4(rotation: torch.Tensor, translation: torch.Tensor) -> torch.Tensor:
    """Stack a ``[3, 3]`` rotation and a ``[3]`` translation into ``[3, 4]``."""
    return torch.cat([rotation, translation.reshape(3, 1).to(rotation.dtype)], dim=1)


def rotation_about_axis(axis: str, angle: float, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The ``[3, 3]`` rotation by ``angle`` radians about the x, y or z axis."""
    c, s = torch.cos(torch.tensor(angle, dtype=dtype)), torch.sin(torch.tensor(angle, dtype=dtype))
    one, zero = torch.ones((), dtype=dtype), torch.zeros((), dtype=dtype)
    rows = {
        "x": [[one, zero, zero], [zero, c, -s], [zero, s, c]],
        "y": [[c, zero, s], [zero, one, zero], [-s, zero, c]],
        "z": [[c, -s, zero], [s, c, zero], [zero, zero, one]],
    }[axis]
    return torch.stack([torch.stack(row) for row in rows])
