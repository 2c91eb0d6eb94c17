"""What the ATEK Data Store offers: its six dataset x configuration entries and their content.

Facts from the store's preprocessing configurations (``data/atek_data_store_confs/*.yaml`` of the
original). Where a YAML spells a knob the original never reads (the efm files'
``undistort_to_linear_cam``, ASE's ``convert_zdepth_to_dist``), the value listed here is the one
that took effect: the default.
"""

from __future__ import annotations

from dataclasses import dataclass

from atek_store.errors import UsageError

__all__ = ["CATALOG", "CatalogEntry", "catalog_entry", "dataset_names"]


@dataclass(frozen=True)
class CatalogEntry:
    """One dataset x preprocessing configuration of the store."""

    dataset: str
    short_name: str
    config: str
    cameras: tuple[str, ...]
    rgb_resolution: str
    slam_resolution: str | None
    rotate_cw90: bool
    undistort_to_linear: bool
    frames_per_sample: int
    stride_frames: int
    rate_hz: float
    samples_per_shard: int
    drop_last_partial_shard: bool
    key_prefix: str
    modalities: tuple[str, ...]
    ground_truth: str
    category_mapping: str
    depth: str | None
    access_link: str

    @property
    def seconds_per_sample(self) -> float:
        """Time covered by one sample's frames."""
        return self.frames_per_sample / self.rate_hz

    @property
    def samples_per_second(self) -> float:
        """Samples per second of recording (the stride at the target rate)."""
        return self.rate_hz / self.stride_frames


_ADT_LINK = "https://www.projectaria.com/datasets/adt/"
_ASE_LINK = "https://www.projectaria.com/datasets/ase/"
_ADT_RGB = "1408x1408 (native)"
_ASE_RGB = "native"
_ASE_DEPTH = "stream type 214, z-depth kept (no conversion), x0.001 (mm -> m)"
_EFM_CAMERAS = ("camera-rgb", "camera-slam-left", "camera-slam-right", "camera-rgb-depth")


def _cubercnn(
    *, dataset: str, short: str, config: str, stride: int, prefix: str, mapping: str, link: str, rgb: str
) -> CatalogEntry:
    return CatalogEntry(
        dataset=dataset,
        short_name=short,
        config=config,
        cameras=("camera-rgb",),
        rgb_resolution=rgb,
        slam_resolution=None,
        rotate_cw90=True,
        undistort_to_linear=True,
        frames_per_sample=1,
        stride_frames=stride,
        rate_hz=10.0,
        samples_per_shard=32,
        drop_last_partial_shard=False,
        key_prefix=prefix,
        modalities=("rgb", "mps trajectory"),
        ground_truth="obb2 + obb3 (obb2_gt, obb3_gt)",
        category_mapping=mapping,
        depth=None,
        access_link=link,
    )


def _efm(*, dataset: str, short: str, config: str, depth: str, mapping: str, link: str) -> CatalogEntry:
    return CatalogEntry(
        dataset=dataset,
        short_name=short,
        config=config,
        cameras=_EFM_CAMERAS,
        rgb_resolution="240x240",
        slam_resolution="320x240",
        rotate_cw90=False,
        undistort_to_linear=False,
        frames_per_sample=20,
        stride_frames=10,
        rate_hz=10.0,
        samples_per_shard=8,
        drop_last_partial_shard=True,
        key_prefix="",
        modalities=("rgb", "slam left/right", "depth", "mps trajectory", "semidense points"),
        ground_truth="efm_gt (obb3 per frame and camera)",
        category_mapping=mapping,
        depth=depth,
        access_link=link,
    )


CATALOG: tuple[CatalogEntry, ...] = (
    _cubercnn(
        dataset="AriaDigitalTwin",
        short="ADT",
        config="cubercnn",
        stride=2,
        prefix="AdtPublicRelease2023",
        mapping="prototype_name",
        link=_ADT_LINK,
        rgb=_ADT_RGB,
    ),
    _efm(
        dataset="AriaDigitalTwin",
        short="ADT",
        config="efm",
        depth="stream 345-1, z-depth converted to distance, x0.001 (mm -> m)",
        mapping="prototype_name",
        link=_ADT_LINK,
    ),
    _cubercnn(
        dataset="AriaSyntheticEnvironment",
        short="ASE",
        config="cubercnn",
        stride=2,
        prefix="AsePublicRelease2023",
        mapping="category",
        link=_ASE_LINK,
        rgb=_ASE_RGB,
    ),
    _cubercnn(
        dataset="AriaSyntheticEnvironment",
        short="ASE",
        config="cubercnn_eval",
        stride=1,
        prefix="AsePublicRelease2023",
        mapping="category",
        link=_ASE_LINK,
        rgb=_ASE_RGB,
    ),
    _efm(
        dataset="AriaSyntheticEnvironment",
        short="ASE",
        config="efm",
        depth=_ASE_DEPTH,
        mapping="category",
        link=_ASE_LINK,
    ),
    _efm(
        dataset="AriaSyntheticEnvironment",
        short="ASE",
        config="efm_eval",
        depth=_ASE_DEPTH,
        mapping="category",
        link=_ASE_LINK,
    ),
)


def dataset_names() -> tuple[str, ...]:
    """The datasets of the store, in catalog order."""
    return tuple(dict.fromkeys(entry.dataset for entry in CATALOG))


def catalog_entry(dataset: str, config: str) -> CatalogEntry:
    """The entry for a dataset (full or short name, any case) and config.

    Raises:
        UsageError: no such entry; the message lists what exists.
    """
    wanted = dataset.lower()
    for entry in CATALOG:
        if wanted in (entry.dataset.lower(), entry.short_name.lower()) and entry.config == config:
            return entry
    offered = ", ".join(f"{entry.dataset}/{entry.config}" for entry in CATALOG)
    raise UsageError(f"no catalog entry {dataset}/{config}; the store offers: {offered}", flag="dataset")
