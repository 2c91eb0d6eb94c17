"""Build real stores for the store tests: golden shards plus shards written here with tarfile.

The synthetic shards hold real member bytes (torch.save zips, JPEGs from Pillow, JSON, text) laid
out like ATEK samples, written as PAX tars the way the original writer does.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import shutil
import tarfile
from pathlib import Path

import torch
from PIL import Image


def member_bytes(rng: random.Random) -> dict[str, bytes]:
    """The fields of one ATEK-like sample: a JPEG, a tensor, the GT JSON and the sequence name."""
    image = Image.new("RGB", (16, 12), tuple(rng.randrange(256) for _ in range(3)))
    jpeg = io.BytesIO()
    image.save(jpeg, format="JPEG", quality=100)
    tensor = io.BytesIO()
    torch.save(torch.tensor([rng.random() for _ in range(4)], dtype=torch.float32), tensor)
    return {
        "mfcd#camera-rgb+images_0.jpeg": jpeg.getvalue(),
        "mfcd#camera-rgb+projection_params.pth": tensor.getvalue(),
        "gt_data.json": json.dumps({"obb3_gt": {}}).encode(),
        "sequence_name.txt": b"seq",
    }


def write_shard(path: Path, *, samples: int = 2, seed: int = 0, start: int = 0) -> Path:
    """Write a PAX tar shard of ``samples`` ATEK-like samples to ``path``."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for index in range(start, start + samples):
            key = f"_AtekDataSample_{index:06d}"
            for field, payload in sorted(member_bytes(rng).items()):
                info = tarfile.TarInfo(f"{key}.{field}")
                info.size = len(payload)
                info.mode = 0o444
                tar.addfile(info, io.BytesIO(payload))
    return path


def write_tar(path: Path, members: dict[str, bytes], *, fmt: int = tarfile.PAX_FORMAT) -> Path:
    """Write an arbitrary tar (for shards that are deliberately wrong)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w", format=fmt) as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return path


def build_store(root: Path, golden_dir: Path) -> Path:
    """A store of two configs and three sequences, mixing golden and synthetic shards.

    ``cubercnn/seqA``: the golden cubercnn shard; ``efm/seqB``: the golden efm shard plus one
    synthetic shard; ``efm/seqC``: one synthetic shard.
    """
    wds = golden_dir / "wds"
    (root / "cubercnn" / "seqA").mkdir(parents=True)
    shutil.copyfile(wds / "adt_cubercnn" / "shards-0000.tar", root / "cubercnn" / "seqA" / "shards-0000.tar")
    (root / "efm" / "seqB").mkdir(parents=True)
    shutil.copyfile(wds / "adt_efm_short" / "shards-0000.tar", root / "efm" / "seqB" / "shards-0000.tar")
    write_shard(root / "efm" / "seqB" / "shards-0001.tar", samples=2, seed=1, start=2)
    write_shard(root / "efm" / "seqC" / "shards-0000.tar", samples=3, seed=2)
    return root


def sha1_of(path: Path) -> str:
    """The SHA-1 of a file, computed independently of the code under test."""
    return hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()


def build_front_store(root: Path, golden_dir: Path, *, name: str = "AriaDigitalTwin") -> Path:
    """:func:`build_store` with a ``dataset.yaml`` whose texts need escaping."""
    build_store(root, golden_dir)
    (root / "dataset.yaml").write_text(
        f"name: {name}\n"
        'release_version: "1.0"\n'
        "description: 'Indoor scenes <script>alert(1)</script> & more'\n"
        "licence: |\n  Use for research only.\n  <b>No</b> redistribution.\n",
        encoding="utf-8",
    )
    return root
