"""Preprocessing configurations: the data store's YAML files, parsed into frozen records.

The six configurations of the store (``AriaDigitalTwin_cubercnn_config.yaml`` ...) are accepted
as they are, with the same keys and the same meaning as in the original preprocessor:

- ``atek_config_name`` picks the sample builder: ``cubercnn`` / ``cubercnn_eval`` build
  single-frame samples with 2D + 3D boxes, ``efm`` / ``efm_eval`` build multi-frame samples with
  depth, semidense points and per-frame 3D boxes.
- The efm files spell two knobs ``undistort_to_linear_cam`` and ``convert_zdepth_to_dist``. The
  original only ever reads ``undistort_to_linear_camera`` and ``convert_zdepth_to_distance``, so
  those misspelled keys have no effect and the defaults (False) apply. We do the same, so that a
  store config gives the store's output, and log that the key is not read.

Everything is validated up front: a wrong value is a :class:`~atek_store.errors.ConfigError`
naming the file and the key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from atek_store.errors import ConfigError

__all__ = [
    "CAMERA_SECTIONS",
    "TIME_DOMAINS",
    "CameraConfig",
    "DepthConfig",
    "GroundTruthConfig",
    "PreprocessConfig",
    "SubsamplerConfig",
    "WriterConfig",
    "load_config",
    "parse_config",
]

_log = logging.getLogger(__name__)

#: Camera sections of ``processors``, in the order the original builds their processors.
CAMERA_SECTIONS = ("rgb", "slam_left", "slam_right")
#: ``time_domain`` values (names of projectaria_tools' ``TimeDomain``).
TIME_DOMAINS = ("RECORD_TIME", "DEVICE_TIME", "HOST_TIME", "TIME_CODE")
_BUILDERS: dict[str, Literal["obb", "efm"]] = {
    "cubercnn": "obb",
    "cubercnn_eval": "obb",
    "efm": "efm",
    "efm_eval": "efm",
}
# Keys the store's efm files carry that the original never reads, and the key it reads instead.
_UNREAD_SPELLINGS = {
    "undistort_to_linear_cam": "undistort_to_linear_camera",
    "convert_zdepth_to_dist": "convert_zdepth_to_distance",
}


@dataclass(frozen=True)
class SubsamplerConfig:
    """``camera_temporal_subsampler``: which main-camera frames make up each sample."""

    main_camera_label: str
    time_domain: str
    target_freq_hz: float
    frames_per_sample: int
    stride: int
    skip_begin_seconds: float = 0.0
    skip_end_seconds: float = 0.0


@dataclass(frozen=True)
class CameraConfig:
    """One selected camera (``processors.rgb`` / ``slam_left`` / ``slam_right``)."""

    section: str
    sensor_label: str
    time_domain: str
    tolerance_ns: int
    undistort_to_linear_camera: bool = False
    target_resolution: tuple[int, int] | None = None
    rescale_antialias: bool = True
    rotate_cw90: bool = False


@dataclass(frozen=True)
class DepthConfig:
    """``processors.rgb_depth``: the depth stream rendered in the rgb camera's geometry."""

    stream_id: str | None
    stream_type_id: str | None
    time_domain: str
    tolerance_ns: int
    convert_zdepth_to_distance: bool
    unit_scaling: float | None


@dataclass(frozen=True)
class GroundTruthConfig:
    """``processors.obb_gt`` (cubercnn) or ``processors.efm_gt`` (efm)."""

    tolerance_ns: int
    category_mapping_field_name: str
    bbox2d_num_samples_on_edge: int = 10


@dataclass(frozen=True)
class WriterConfig:
    """``wds_writer``: how samples are cut into shards."""

    prefix_string: str = ""
    max_samples_per_shard: int = 32
    remove_last_tar_if_not_full: bool = False


@dataclass(frozen=True)
class PreprocessConfig:
    """A whole preprocessing configuration; only the parts its builder uses are set."""

    name: str
    builder: Literal["obb", "efm"]
    subsampler: SubsamplerConfig
    cameras: tuple[CameraConfig, ...]
    trajectory_tolerance_ns: int | None
    semidense_tolerance_ns: int | None
    depth: DepthConfig | None
    ground_truth: GroundTruthConfig | None
    writer: WriterConfig
    source: str = ""
    unread_keys: tuple[str, ...] = field(default=(), compare=False)

    def camera(self, label: str) -> CameraConfig | None:
        """The selected camera with this sensor label, if any."""
        return next((camera for camera in self.cameras if camera.sensor_label == label), None)

    def fingerprint(self) -> str:
        """A hash of everything that shapes the output (not where the YAML was read from)."""
        content = asdict(self)
        content.pop("source")
        content.pop("unread_keys")
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


class _Section:
    """Typed reads from one mapping of the YAML, with errors that name the file and key."""

    def __init__(self, data: Any, path: str, source: str) -> None:
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ConfigError(f"{source}: {path or 'the document'} must be a mapping", path=source)
        self.data = data
        self.path = path
        self.source = source
        self.read: set[str] = set()

    def _where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, expected: str) -> ConfigError:
        value = self.data.get(key)
        return ConfigError(
            f"{self.source}: {self._where(key)} must be {expected}, got {value!r}",
            path=self.source,
            key=self._where(key),
        )

    def has(self, key: str) -> bool:
        return key in self.data

    def section(self, key: str) -> _Section:
        self.read.add(key)
        return _Section(self.data.get(key), self._where(key), self.source)

    def raw(self, key: str) -> Any:
        self.read.add(key)
        return self.data.get(key)

    def string(self, key: str, default: str | None = None) -> str:
        value = self.raw(key)
        if value is None and default is not None:
            return default
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise self.error(key, "a string")
        return str(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, "true or false")
        return value

    def integer(self, key: str, default: int | None = None, *, minimum: int = 0) -> int:
        value = self.raw(key)
        if value is None and default is not None:
            return default
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise self.error(key, f"an integer >= {minimum}")
        return value

    def number(self, key: str, default: float | None = None, *, positive: bool = False) -> float:
        value = self.raw(key)
        if value is None and default is not None:
            return default
        if not isinstance(value, int | float) or isinstance(value, bool) or (positive and value <= 0):
            raise self.error(key, "a positive number" if positive else "a number")
        return float(value)

    def time_domain(self) -> str:
        value = self.string("time_domain", "DEVICE_TIME")
        if value not in TIME_DOMAINS:
            raise self.error("time_domain", f"one of {', '.join(TIME_DOMAINS)}")
        return value

    def unread(self) -> list[str]:
        return [self._where(key) for key in self.data if key not in self.read]


def _camera(section: _Section, name: str) -> CameraConfig | None:
    if not section.boolean("selected", False):
        section.read.update(section.data)  # an unselected camera's other keys do not matter
        return None
    resolution = section.raw("target_camera_resolution")
    target: tuple[int, int] | None = None
    if resolution not in (None, []):
        if (
            not isinstance(resolution, list)
            or len(resolution) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in resolution)
        ):
            raise section.error("target_camera_resolution", "[] or [width, height] in pixels")
        target = (resolution[0], resolution[1])
    return CameraConfig(
        section=name,
        sensor_label=section.string("sensor_label"),
        time_domain=section.time_domain(),
        tolerance_ns=section.integer("tolerance_ns"),
        undistort_to_linear_camera=section.boolean("undistort_to_linear_camera", False),
        target_resolution=target,
        rescale_antialias=section.boolean("rescale_antialias", True),
        rotate_cw90=section.boolean("rotate_image_cw90deg", False),
    )


def _selected(processors: _Section, name: str) -> _Section | None:
    if not processors.has(name):
        return None
    section = processors.section(name)
    if section.boolean("selected", False):
        return section
    section.read.update(section.data)
    return None


def _depth(section: _Section) -> DepthConfig:
    stream_id = section.string("depth_stream_id") if section.has("depth_stream_id") else None
    type_id = section.string("depth_stream_type_id") if section.has("depth_stream_type_id") else None
    if stream_id is None and type_id is None:
        raise section.error("depth_stream_id", "set (or depth_stream_type_id)")
    return DepthConfig(
        stream_id=stream_id,
        stream_type_id=None if stream_id is not None else type_id,
        time_domain=section.time_domain(),
        tolerance_ns=section.integer("tolerance_ns"),
        convert_zdepth_to_distance=section.boolean("convert_zdepth_to_distance", False),
        unit_scaling=section.number("unit_scaling", positive=True) if section.has("unit_scaling") else None,
    )


def _ground_truth(section: _Section, *, with_boxes_2d: bool) -> GroundTruthConfig:
    field_name = section.string("category_mapping_field_name", "prototype_name")
    if field_name not in ("prototype_name", "category"):
        raise section.error("category_mapping_field_name", "prototype_name or category")
    return GroundTruthConfig(
        tolerance_ns=section.integer("tolerance_ns"),
        category_mapping_field_name=field_name,
        bbox2d_num_samples_on_edge=section.integer("bbox2d_num_samples_on_edge", 10) if with_boxes_2d else 10,
    )


def parse_config(data: Any, *, source: str = "<config>") -> PreprocessConfig:
    """Validate a loaded YAML document and return the configuration it describes.

    Raises:
        ConfigError: a key is missing or has a wrong value; the message names ``source`` and the key.
    """
    top = _Section(data, "", source)
    name = top.string("atek_config_name")
    builder = _BUILDERS.get(name)
    if builder is None:
        raise top.error("atek_config_name", f"one of {', '.join(_BUILDERS)}")
    sub = top.section("camera_temporal_subsampler")
    subsampler = SubsamplerConfig(
        main_camera_label=sub.string("main_camera_label"),
        time_domain=sub.time_domain(),
        target_freq_hz=sub.number("main_camera_target_freq_hz", positive=True),
        frames_per_sample=sub.integer("sample_length_in_num_frames", minimum=1),
        stride=sub.integer("stride_length_in_num_frames", minimum=1),
        skip_begin_seconds=sub.number("skip_begin_seconds", 0.0),
        skip_end_seconds=sub.number("skip_end_seconds", 0.0),
    )
    if builder == "obb" and subsampler.frames_per_sample != 1:
        raise sub.error("sample_length_in_num_frames", f"1 for {name} (its samples hold one frame)")
    processors = top.section("processors")
    camera_sections = [processors.section(n) for n in CAMERA_SECTIONS if processors.has(n)]
    cameras = tuple(
        camera
        for section in camera_sections
        if (camera := _camera(section, section.path.rsplit(".", 1)[-1])) is not None
    )
    if not cameras:
        raise processors.error("rgb", "a selected camera (selected: true)")
    traj = _selected(processors, "mps_traj")
    trajectory_tolerance = traj.integer("tolerance_ns") if traj else None
    semidense_tolerance = depth = ground_truth = None
    sections = [processors, sub, top, *camera_sections]
    if builder == "efm":
        semidense = _selected(processors, "mps_semidense")
        semidense_tolerance = semidense.integer("tolerance_ns") if semidense else None
        depth_section = _selected(processors, "rgb_depth")
        if depth_section is not None:
            depth = _depth(depth_section)
            if not any(camera.sensor_label == "camera-rgb" for camera in cameras):
                raise processors.error(
                    "rgb", "selected with sensor_label camera-rgb (rgb_depth uses its geometry)"
                )
        gt = _selected(processors, "efm_gt")
        ground_truth = _ground_truth(gt, with_boxes_2d=False) if gt else None
        sections += [s for s in (semidense, depth_section, gt) if s is not None]
    else:
        gt = _selected(processors, "obb_gt")
        ground_truth = _ground_truth(gt, with_boxes_2d=True) if gt else None
        sections += [gt] if gt else []
    writer_section = top.section("wds_writer")
    writer = WriterConfig(
        prefix_string=writer_section.string("prefix_string", ""),
        max_samples_per_shard=writer_section.integer("max_samples_per_shard", 32, minimum=1),
        remove_last_tar_if_not_full=writer_section.boolean("remove_last_tar_if_not_full", False),
    )
    if "." in writer.prefix_string or "/" in writer.prefix_string:
        raise writer_section.error("prefix_string", "a string without '.' or '/'")
    sections += [writer_section, traj] if traj else [writer_section]
    unread = _unread_keys(sections)
    return PreprocessConfig(
        name=name,
        builder=builder,
        subsampler=subsampler,
        cameras=cameras,
        trajectory_tolerance_ns=trajectory_tolerance,
        semidense_tolerance_ns=semidense_tolerance,
        depth=depth,
        ground_truth=ground_truth,
        writer=writer,
        source=source,
        unread_keys=tuple(unread),
    )


def _unread_keys(sections: list[_Section]) -> list[str]:
    return sorted({key for section in sections for key in section.unread()})


def _lookup(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        data = data.get(part) if isinstance(data, Mapping) else None
    return data


def load_config(path: str | os.PathLike[str]) -> PreprocessConfig:
    """Read and validate a preprocessing YAML (one of the store's six, or a user's own).

    Keys that the configuration's builder does not read are logged once (the misspelled efm knobs
    among them), so a typo never silently changes nothing without a trace.

    Raises:
        ConfigError: the file is not valid YAML or a value is wrong.
        FileNotFoundError: there is no such file.
    """
    source = str(path)
    with Path(path).open(encoding="utf-8") as handle:
        try:
            data = yaml.safe_load(handle)
        except yaml.YAMLError as error:
            raise ConfigError(f"{source} is not valid YAML: {error}", path=source) from error
    config = parse_config(data, source=source)
    for key in config.unread_keys:
        name = key.rsplit(".", 1)[-1]
        if name in _UNREAD_SPELLINGS:
            # The store's own files set these to false, where ignoring them changes nothing.
            level = logging.WARNING if _lookup(data, key) else logging.INFO
            _log.log(
                level,
                "%s: %s is not read (the original reads %s), so it stays false, as in the store",
                source,
                key,
                _UNREAD_SPELLINGS[name],
            )
        else:
            _log.info("%s: %s is not used by the %s builder", source, key, config.builder)
    return config
