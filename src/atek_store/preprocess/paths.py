"""The raw recording folder: which file holds what, in the layouts ADT and ASE ship.

For each input the first existing candidate wins (the original's order), so one folder layout
serves Aria Digital Twin (``video.vrs``, ``aria_trajectory.csv``, ``mps/slam/...``), Aria Synthetic
Environments (``main.vrs``, ``maps/maps_v1/...``) and a user's own recording with its MPS output
(``mps/slam/closed_loop_trajectory.csv``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

from atek_store.errors import RawDataError
from atek_store.preprocess.config import PreprocessConfig

__all__ = ["CANDIDATES", "RawSequencePaths", "find_raw_paths", "is_raw_sequence_folder"]

#: Candidate file names per input, relative to the raw folder, first match wins.
CANDIDATES: dict[str, tuple[str, ...]] = {
    "main_vrs": ("video.vrs", "main.vrs"),
    "trajectory": (
        "aria_trajectory.csv",
        "closed_loop_trajectory.csv",
        "mps/slam/closed_loop_trajectory.csv",
    ),
    "semidense_points": (
        "mps/slam/semidense_points.csv.gz",
        "maps/maps_v1/globalcloud_GT.csv.gz",
        "mps/slam/semidense_points.csv",
    ),
    "semidense_observations": (
        "mps/slam/semidense_observations.csv.gz",
        "maps/maps_v1/observations.csv.gz",
        "mps/slam/semidense_observations.csv",
    ),
    "online_calibration": ("mps/slam/online_calibration.jsonl",),
    "depth_vrs": ("depth_images.vrs",),
    "boxes_3d": ("3d_bounding_box.csv",),
    "object_poses": ("scene_objects.csv",),
    "boxes_2d": ("2d_bounding_box.csv",),
    "instances": ("instances.json",),
}


@dataclass(frozen=True)
class RawSequencePaths:
    """The files of one raw recording; None where the folder has no such file."""

    folder: Path
    main_vrs: Path | None = None
    trajectory: Path | None = None
    semidense_points: Path | None = None
    semidense_observations: Path | None = None
    online_calibration: Path | None = None
    depth_vrs: Path | None = None
    boxes_3d: Path | None = None
    object_poses: Path | None = None
    boxes_2d: Path | None = None
    instances: Path | None = None

    def require(self, name: str, *, why: str) -> Path:
        """The path of input ``name``, or a :class:`RawDataError` naming the files looked for."""
        value: Path | None = getattr(self, name)
        if value is None:
            looked = ", ".join(CANDIDATES[name])
            raise RawDataError(
                f"{self.folder} has no {name.replace('_', ' ')} file ({why}); looked for: {looked}",
                path=str(self.folder),
            )
        return value

    def check_for(self, config: PreprocessConfig) -> None:
        """Raise :class:`RawDataError` unless every file that ``config`` needs is present."""
        self.require("main_vrs", why="every configuration reads the Aria recording")
        if config.trajectory_tolerance_ns is not None:
            self.require("trajectory", why="mps_traj is selected")
        if config.semidense_tolerance_ns is not None:
            self.require("semidense_points", why="mps_semidense is selected")
            self.require("semidense_observations", why="mps_semidense is selected")
        if config.depth is not None:
            self.require("depth_vrs", why="rgb_depth is selected")
        if config.ground_truth is not None:
            for name in ("boxes_3d", "object_poses", "boxes_2d", "instances"):
                self.require(name, why="ground truth (obb_gt / efm_gt) is selected")


def find_raw_paths(folder: str | os.PathLike[str]) -> RawSequencePaths:
    """Locate the inputs inside a raw recording folder.

    Raises:
        RawDataError: ``folder`` is not a folder.
    """
    root = Path(folder)
    if not root.is_dir():
        raise RawDataError(f"raw recording folder {root} does not exist or is not a folder", path=str(root))
    found: dict[str, Path] = {}
    for item in fields(RawSequencePaths):
        if item.name == "folder":
            continue
        for candidate in CANDIDATES[item.name]:
            path = root / candidate
            if path.is_file():
                found[item.name] = path
                break
    return RawSequencePaths(folder=root, **found)


def is_raw_sequence_folder(folder: Path) -> bool:
    """Whether ``folder`` looks like a raw recording (it holds a main VRS file)."""
    return any((folder / name).is_file() for name in CANDIDATES["main_vrs"])
