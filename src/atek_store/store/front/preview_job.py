"""The child process that makes the front's previews: ``python -m atek_store.store.front.preview_job JOB``.

It runs apart from the server because it needs torch (the renderer decodes the sample's tensors)
and the server must stay torch-free and small. For each configuration in the job file it writes,
into the configuration's cache folder and each under a temporary name first:

- ``facts.json``: what the configuration is (cameras, resolutions, rotation, undistortion, frames
  per sample, rate, ground truth), from its preprocessing YAML when the store has one, else from
  the catalog of the six store configurations, plus what the first sample shows (its key layout,
  the image sizes, the frames it holds);
- ``sample.png``: the first sample drawn by :func:`atek_store.viz.render_shard_sample`;
- ``<sequence>.jpg``: a thumbnail of each sequence's first RGB frame.

One failure (a shard the renderer cannot draw) is reported in ``facts.json`` and the rest go on.
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path
from typing import Any

from atek_store.atomic import atomic_write_bytes, atomic_write_text

__all__ = ["main"]

THUMBNAIL_PX = 160
_BUILDERS = {
    "obb": "single-frame samples with 2D and 3D boxes",
    "efm": "multi-frame samples with depth, semidense points and per-frame 3D boxes",
}


def _first_sample(shard: Path) -> dict[str, bytes]:
    from atek_store.format.tario import iter_raw_samples

    with shard.open("rb") as stream:
        for sample in iter_raw_samples(stream, shard=str(shard)):
            return sample.members
    return {}


def _rgb_jpeg(members: dict[str, bytes]) -> bytes | None:
    from atek_store.format.keys import image_frame, is_rgb_image_key

    frames = []
    for suffix, data in members.items():
        key, _, extension = suffix.rpartition(".")
        parsed = image_frame(key)
        if extension in ("jpeg", "jpg") and parsed is not None and is_rgb_image_key(parsed[0]):
            frames.append((parsed[1], data))
    return min(frames)[1] if frames else None


def _observed(members: dict[str, bytes]) -> list[list[str]]:
    from PIL import Image

    from atek_store.format.keys import image_frame

    cameras: dict[str, dict[str, Any]] = {}
    for suffix, data in members.items():
        key, _, extension = suffix.rpartition(".")
        parsed = image_frame(key)
        if parsed is None or extension not in ("jpeg", "jpg", "png"):
            continue
        camera = parsed[0].split("#", 1)[-1].removesuffix("+images")
        entry = cameras.setdefault(camera, {"frames": 0, "size": None})
        entry["frames"] += 1
        if entry["size"] is None:
            with Image.open(io.BytesIO(data)) as image:
                entry["size"] = f"{image.width}x{image.height}"
    return [
        [f"{camera} (first sample)", f"{info['frames']} frame(s) of {info['size']}"]
        for camera, info in sorted(cameras.items())
    ]


def _configured(preprocess_config: str | None, dataset: str, config: str) -> list[list[str]]:
    if preprocess_config:
        from atek_store.preprocess.config import load_config

        parsed = load_config(preprocess_config)
        sub = parsed.subsampler
        rows = [
            ["builder", f"{parsed.name} ({_BUILDERS.get(parsed.builder, parsed.builder)})"],
            ["main camera", sub.main_camera_label],
            ["rate", f"{sub.target_freq_hz:g} Hz ({sub.time_domain})"],
            ["frames per sample", str(sub.frames_per_sample)],
            ["stride", f"{sub.stride} frames"],
        ]
        for camera in parsed.cameras:
            resolution = (
                "x".join(map(str, camera.target_resolution)) if camera.target_resolution else "native"
            )
            rows.append(
                [
                    f"camera {camera.sensor_label}",
                    f"resolution {resolution}; rotated 90° cw: {'yes' if camera.rotate_cw90 else 'no'}; "
                    f"undistorted to linear: {'yes' if camera.undistort_to_linear_camera else 'no'}",
                ]
            )
        rows.append(["depth", "yes" if parsed.depth else "no"])
        rows.append(
            [
                "ground truth",
                parsed.ground_truth.category_mapping_field_name if parsed.ground_truth else "none",
            ]
        )
        rows.append(["samples per shard", str(parsed.writer.max_samples_per_shard)])
        return rows
    from atek_store.catalog import CATALOG

    for entry in CATALOG:
        if entry.dataset == dataset and entry.config == config:
            return [
                ["cameras", ", ".join(entry.cameras)],
                ["rgb resolution", entry.rgb_resolution],
                ["slam resolution", entry.slam_resolution or "-"],
                ["rotated 90° cw", "yes" if entry.rotate_cw90 else "no"],
                ["undistorted to linear", "yes" if entry.undistort_to_linear else "no"],
                ["frames per sample", str(entry.frames_per_sample)],
                ["rate", f"{entry.rate_hz:g} Hz, stride {entry.stride_frames} frames"],
                ["samples per shard", str(entry.samples_per_shard)],
                ["modalities", ", ".join(entry.modalities)],
                ["ground truth", entry.ground_truth],
                ["depth", entry.depth or "-"],
            ]
    return []


def _thumbnail(shard: Path) -> bytes | None:
    from PIL import Image

    jpeg = _rgb_jpeg(_first_sample(shard))
    if jpeg is None:
        return None
    with Image.open(io.BytesIO(jpeg)) as image:
        small = image.convert("RGB")
        small.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
        out = io.BytesIO()
        small.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _one_config(task: dict[str, Any]) -> None:
    out = Path(task["out"])
    out.mkdir(parents=True, exist_ok=True)
    facts: dict[str, Any] = {"configured": [], "observed": [], "keys": [], "errors": []}
    shard = Path(task["shard"])
    try:
        facts["configured"] = _configured(task.get("preprocess_config"), task["dataset"], task["config"])
    except Exception as error:  # noqa: BLE001 - reported on the page, the rest goes on
        facts["errors"].append(f"preprocessing configuration: {error}")
    try:
        members = _first_sample(shard)
        facts["keys"] = sorted(members)
        facts["observed"] = _observed(members)
    except Exception as error:  # noqa: BLE001
        facts["errors"].append(f"first sample of {shard.name}: {error}")
    try:
        from atek_store.viz import RenderOptions, render_shard_sample

        temporary = out / f".sample-{os.getpid()}.png"
        render_shard_sample(shard, 0, temporary, options=RenderOptions(panel_height=360))
        os.replace(temporary, out / "sample.png")
    except Exception as error:  # noqa: BLE001
        facts["errors"].append(f"rendering the first sample: {error}")
    for sequence in task.get("sequences", []):
        try:
            thumbnail = _thumbnail(Path(sequence["shard"]))
            if thumbnail is not None:
                atomic_write_bytes(out / f"{sequence['name']}.jpg", thumbnail, fsync=False)
        except Exception as error:  # noqa: BLE001
            facts["errors"].append(f"thumbnail of {sequence['name']}: {error}")
    atomic_write_text(out / "facts.json", json.dumps(facts, indent=1), fsync=False)


def main(argv: list[str] | None = None) -> int:
    """Make the previews listed in the job file named by the only argument."""
    args = sys.argv[1:] if argv is None else argv
    job = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    for task in job["configs"]:
        _one_config(task)
        print(f"done {task['dataset']}/{task['config']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
