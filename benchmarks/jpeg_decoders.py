"""Which JPEG decoder gives Pillow's pixels fastest, on the frames of the golden (real Aria) shards.

For every installed candidate (simplejpeg, PyTurboJPEG, OpenCV, Pillow) this checks that the decoded
pixels are bit-identical to Pillow's default decode (libjpeg-turbo, accurate integer DCT, fancy
upsampling), then times it: median milliseconds per frame over several repeats, per kind of frame
(1408x1408 RGB, 240x240 RGB, 320x240 grayscale SLAM). Uninstalled candidates are reported as such.

    python benchmarks/jpeg_decoders.py [--repeats 7]

PyTurboJPEG also needs the system libturbojpeg (Debian: libturbojpeg0); OpenCV comes from
opencv-python-headless. Neither is a dependency of atek-store.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from atek_store.format import iter_raw_samples

GOLDEN = Path(__file__).resolve().parents[1] / ".." / "shared" / "golden" / "wds"
Decoder = Callable[[bytes, bool], np.ndarray]  # (jpeg bytes, grayscale?) -> HWC / HW array


def pillow(data: bytes, gray: bool) -> np.ndarray:
    image = Image.open(io.BytesIO(data))
    mode = "L" if gray else "RGB"
    return np.asarray(image if image.mode == mode else image.convert(mode))


def make_decoders() -> dict[str, Decoder | str]:
    decoders: dict[str, Decoder | str] = {"pillow": pillow}
    try:
        import simplejpeg

        decoders["simplejpeg"] = lambda data, gray: simplejpeg.decode_jpeg(
            data, colorspace="GRAY" if gray else "RGB"
        )
    except ImportError as error:
        decoders["simplejpeg"] = f"not installed ({error})"
    try:
        from turbojpeg import TJPF_GRAY, TJPF_RGB, TurboJPEG

        turbo = TurboJPEG()
        decoders["pyturbojpeg"] = lambda data, gray: turbo.decode(
            data, pixel_format=TJPF_GRAY if gray else TJPF_RGB
        )
    except (ImportError, RuntimeError, OSError) as error:
        decoders["pyturbojpeg"] = f"not usable ({error})"
    try:
        import cv2

        def opencv(data: bytes, gray: bool) -> np.ndarray:
            buffer = np.frombuffer(data, np.uint8)
            if gray:
                return cv2.imdecode(buffer, cv2.IMREAD_GRAYSCALE)
            return cv2.cvtColor(cv2.imdecode(buffer, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)

        decoders["opencv"] = opencv
    except ImportError as error:
        decoders["opencv"] = f"not installed ({error})"
    return decoders


def golden_frames() -> dict[str, list[bytes]]:
    kinds: dict[str, list[bytes]] = {}
    for shard in sorted(GOLDEN.glob("*/*.tar")):
        with shard.open("rb") as stream:
            for sample in iter_raw_samples(stream, shard=str(shard)):
                for suffix, data in sample.members.items():
                    if not suffix.endswith(".jpeg"):
                        continue
                    width, height = Image.open(io.BytesIO(data)).size
                    gray = "rgb" not in suffix
                    kinds.setdefault(f"{width}x{height} {'gray' if gray else 'rgb'}", []).append(data)
    return kinds


def time_decoder(decode: Decoder, frames: list[bytes], gray: bool, repeats: int) -> float:
    loops = max(1, int(0.3 / max(1e-4, _once(decode, frames, gray))))
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            for data in frames:
                decode(data, gray)
        timings.append((time.perf_counter() - start) / (loops * len(frames)))
    return statistics.median(timings) * 1000


def _once(decode: Decoder, frames: list[bytes], gray: bool) -> float:
    start = time.perf_counter()
    for data in frames:
        decode(data, gray)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    decoders = make_decoders()
    kinds = golden_frames()
    print(f"{'decoder':12s} " + " ".join(f"{kind:>18s}" for kind in kinds) + "   identical to Pillow")
    for name, decode in decoders.items():
        if isinstance(decode, str):
            print(f"{name:12s} {decode}")
            continue
        cells, identical = [], True
        for kind, frames in kinds.items():
            gray = kind.endswith("gray")
            identical &= all(np.array_equal(decode(f, gray).squeeze(), pillow(f, gray)) for f in frames)
            cells.append(f"{time_decoder(decode, frames, gray, args.repeats):15.3f} ms")
        print(f"{name:12s} " + " ".join(cells) + f"   {'yes' if identical else 'NO'}")


if __name__ == "__main__":
    main()
