"""Loader throughput: the original's pipeline (webdataset) against ours, and the JPEG decode limit.

Builds two stores in ``--workdir`` (kept between runs):

- ``cubercnn``: the real ADT cubercnn sample of ``../shared/golden/wds/adt_cubercnn`` (1408x1408
  RGB JPEG at quality 100, 17 ``.pth``, GT for 91 objects) replicated ``--samples`` times, member
  bytes unchanged, 32 samples per shard as in the store's config;
- ``efm``: the real ADT efm sample of ``../shared/golden/wds/adt_efm_short`` stretched to the
  store's 20 frames (rgb 240x240, two slam 320x240, depth, about 1,500 semidense points per
  frame), 8 samples per shard.

Then, each case in a fresh process (for a clean peak RSS), times full passes and prints the
median samples/s:

- ``baseline``: what the original does: ``wds.WebDataset(urls).decode(wds.imagehandler("torchrgb8"))``
  with webdataset's default ``.pth`` handler (``torch.load``), then the original's per-sample
  processing (ATEK_DETAILS 3.5: frames stacked, slam cut to channel 0, float64 -> float32,
  semidense lists rebuilt, GT tensors merged), its ``shuffle(1000)``, its key selection, in a
  ``DataLoader(batch_size=None)``;
- ``ours``: ``create_native_atek_dataloader`` with the same arguments (``ours-cl``: the same with
  ``image_layout="channels_last"``, which skips the HWC -> CHW copy of each RGB frame);
- ``limit``: a loop that only decodes the same JPEG bytes with our decoder (simplejpeg), one core;
- ``streamed``: ``ours`` over http from a loopback server (the test suite's FaultServer, in this
  benchmark's own process) that caps every connection at ``--rate-mb`` MB/s (8: what a CDN gives
  one TCP stream), with the default read-ahead; every pass is a first epoch (no cache).

Besides samples/s (median of ``--repeats`` passes, each pass including its worker start-up), each
line gives the CPU time per sample of all processes (main + workers), which is what a busy or
shared machine limits, and the peak RSS of the main process and of the largest worker. Cases
with ``shuffle=1`` use the original's buffer (1000 samples, first output after 100).

Usage: ``python benchmarks/loader.py [--samples 128] [--efm-samples 48] [--repeats 3] [--rate-mb 8]
[--streamed-only]`` (``--streamed-only``: just the local and streamed cubercnn cases, 0 and 2 workers).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the FaultServer lives in the test suite
GOLDEN = REPO.parent / "shared" / "golden" / "wds"
EFM_FRAMES = 20
EFM_POINTS = 1500
# What a model that looks only at the RGB stream and the poses would ask for.
EFM_MAPPING = {
    "mfcd#camera-rgb+images": "rgb",
    "mfcd#camera-rgb+projection_params": "rgb_calib",
    "mtd#ts_world_device": "poses",
    "mfcd#camera-rgb+capture_timestamps_ns": "timestamps",
}


# -- stores ------------------------------------------------------------------------------------


def build_cubercnn(folder: Path, count: int) -> list[str]:
    from atek_store.format import iter_raw_samples
    from atek_store.format.keys import sample_key

    shards = sorted(folder.glob("*/*.tar"))
    if len(shards) == (count + 31) // 32:
        return [str(s) for s in shards]
    source = GOLDEN / "adt_cubercnn" / "shards-0000.tar"
    (raw,) = list(iter_raw_samples(source.read_bytes(), shard=str(source)))
    paths = []
    for shard in range((count + 31) // 32):
        path = folder / f"seq_{shard // 2:02d}" / f"shards-{shard % 2:04d}.tar"
        path.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
            for index in range(shard * 32, min(count, shard * 32 + 32)):
                key = sample_key("AdtPublicRelease2023", index)
                for suffix in sorted(raw.members):
                    info = tarfile.TarInfo(f"{key}.{suffix}")
                    info.size = len(raw.members[suffix])
                    tar.addfile(info, io.BytesIO(raw.members[suffix]))
        paths.append(str(path))
    return paths


def _stretch(sample: dict[str, Any], generator: torch.Generator) -> dict[str, Any]:
    """The 2-frame golden efm sample as a 20-frame one (frames cycled, semidense points made up)."""
    out: dict[str, Any] = {}
    reps = EFM_FRAMES // 2
    for key, value in sample.items():
        if key.startswith("__") or key.endswith("+stacked") or key == "msdpd#points_world_lengths":
            continue
        if (
            isinstance(value, torch.Tensor)
            and value.dim() >= 1
            and value.shape[0] == 2
            and "volumn" not in key
        ):
            value = value.repeat(reps, *([1] * (value.dim() - 1)))
        out[key] = value
    counts = torch.randint(EFM_POINTS - 200, EFM_POINTS + 200, (EFM_FRAMES,), generator=generator)
    out["msdpd#points_world"] = [torch.randn(int(n), 3, generator=generator) for n in counts]
    out["msdpd#points_dist_std"] = [torch.rand(int(n), generator=generator) for n in counts]
    out["msdpd#points_inv_dist_std"] = [torch.rand(int(n), generator=generator) for n in counts]
    return out


def build_efm(folder: Path, count: int) -> list[str]:
    from atek_store.format import ShardWriter, iter_shard

    shards = sorted(folder.glob("*/*.tar"))
    if len(shards) == (count + 7) // 8:
        return [str(s) for s in shards]
    source = next(iter_shard(GOLDEN / "adt_efm_short" / "shards-0000.tar"))
    generator = torch.Generator().manual_seed(0)
    for sequence in range(2):
        with ShardWriter(folder / f"seq_{sequence:02d}", max_samples_per_shard=8) as writer:
            for _ in range(count // 2):
                writer.write(_stretch(source, generator))
    return [str(s) for s in sorted(folder.glob("*/*.tar"))]


# -- the original's pipeline, rebuilt from its documented behaviour -----------------------------


def original_process(sample: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    frames: dict[str, list[tuple[int, torch.Tensor]]] = {}
    for key, value in sample.items():
        if key in ("__key__", "__url__", "__local_path__"):
            out[key] = value
            continue
        stem, _, ext = key.rpartition(".")
        if ext == "jpeg":
            root, _, index = stem.partition("_")
            frames.setdefault(root, []).append((int(index), value))
        elif ext == "pth":
            out[stem] = value.float() if value.dtype == torch.float64 else value
        elif ext in ("json", "txt"):
            out[stem] = value
        else:
            raise ValueError(f"unknown extension {ext}")
    for root, found in frames.items():
        stack = torch.stack([frame for _, frame in sorted(found, key=lambda pair: pair[0])])
        out[root] = stack if "rgb" in root else stack[:, 0:1]
    for name in ("msdpd#points_world", "msdpd#points_inv_dist_std", "msdpd#points_dist_std"):
        if f"{name}+stacked" in out:
            lengths = out["msdpd#points_world_lengths"].tolist()
            out[name] = list(torch.split(out[f"{name}+stacked"], lengths))
    for key in [k for k in out if k.startswith("gt_data#")]:
        node = out.setdefault("gt_data", {})
        *parents, leaf = key[len("gt_data#") :].split("+")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = out.pop(key)
    return out


def _select(mapping: dict[str, str], sample: dict[str, Any]) -> dict[str, Any]:
    out = {"__key__": sample["__key__"], "__url__": sample["__url__"]}
    out.update({new: sample[old] for old, new in mapping.items() if old in sample})
    return out


def baseline_loader(urls: list[str], workers: int, shuffle: bool, mapping: dict[str, str] | None) -> Any:
    import functools

    import webdataset as wds

    dataset = wds.WebDataset(urls, nodesplitter=wds.shardlists.single_node_only)
    dataset = dataset.decode(wds.imagehandler("torchrgb8")).map(original_process)
    if shuffle:
        dataset = dataset.shuffle(1000)
    if mapping:
        dataset = dataset.map(functools.partial(_select, mapping))
    return torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=workers, pin_memory=False)


# -- one case, in its own process -----------------------------------------------------------------


def decode_limit(urls: list[str], count: int) -> Any:
    import simplejpeg

    from atek_store.format import iter_raw_samples

    with open(urls[0], "rb") as stream:
        raw = next(iter_raw_samples(stream, shard=urls[0]))
    jpegs = [data for suffix, data in raw.members.items() if suffix.endswith(".jpeg")]

    def loop() -> Any:
        for _ in range(count):
            for data in jpegs:
                gray = simplejpeg.decode_jpeg_header(data)[2] == "Gray"
                yield simplejpeg.decode_jpeg(data, colorspace="GRAY" if gray else "RGB")

    return loop


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the DataLoader workers of past passes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_case(spec: dict[str, Any]) -> dict[str, Any]:
    from atek_store import create_native_atek_dataloader

    warnings.simplefilter("ignore")
    urls, workers, shuffle, count = spec["urls"], spec["workers"], spec["shuffle"], spec["count"]
    mapping = EFM_MAPPING if spec["mapping"] else None
    if spec["kind"] == "limit":
        make = decode_limit(urls, count)
    elif spec["kind"] == "baseline":
        loader = baseline_loader(urls, workers, shuffle, mapping)
        make = lambda: iter(loader)  # noqa: E731
    else:
        layout = "channels_last" if spec["kind"] == "ours-cl" else "contiguous"
        if spec["kind"] == "streamed":
            urls = spec["streamed_urls"]
        ours = create_native_atek_dataloader(
            urls, dict_key_mapping=mapping, shuffle_flag=shuffle, num_workers=workers, image_layout=layout
        )
        make = lambda: iter(ours)  # noqa: E731
    rates, cpu = [], []
    for _ in range(spec["repeats"]):
        start, cpu_start = time.perf_counter(), _cpu_seconds()
        items = sum(1 for _ in make())
        rates.append(count / (time.perf_counter() - start))
        cpu.append((_cpu_seconds() - cpu_start) / count * 1e3)
        if spec["kind"] != "limit" and items != count:
            raise SystemExit(f"{spec['kind']} yielded {items} samples, expected {count}")
    return {
        "rates": rates,
        "cpu_ms": cpu,
        "rss_main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def run_in_subprocess(spec: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--case", json.dumps(spec)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"case {spec['label']} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "atek-loader-bench")
    parser.add_argument("--samples", type=int, default=128, help="cubercnn samples (>= 128)")
    parser.add_argument("--efm-samples", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=3, help="passes per case; the median is printed")
    parser.add_argument(
        "--rate-mb", type=float, default=8.0, help="MB/s per connection of the streamed cases"
    )
    parser.add_argument(
        "--streamed-only", action="store_true", help="only the local and streamed cubercnn cases"
    )
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(json.loads(args.case))))
        return
    stores = {
        "cubercnn": build_cubercnn(args.workdir / "cubercnn", args.samples),
        "efm": build_efm(args.workdir / "efm", args.efm_samples),
    }
    counts = {"cubercnn": args.samples, "efm": args.efm_samples // 2 * 2}
    plan = []
    for store in ("cubercnn", "efm"):
        if args.streamed_only:
            break
        plan.append((store, "limit", 0, False, False))
        for workers in (0, 2):
            plan += [(store, "baseline", workers, False, False), (store, "ours", workers, False, False)]
            if store == "cubercnn":  # streamed right after local, so that both see the same machine
                plan.append((store, "streamed", workers, False, False))
                plan.append((store, "ours-cl", workers, False, False))
    for workers in (0, 2):
        if args.streamed_only:
            plan += [
                ("cubercnn", "ours", workers, False, False),
                ("cubercnn", "streamed", workers, False, False),
            ]
            continue
        plan += [("efm", "baseline", workers, False, True), ("efm", "ours", workers, False, True)]
        plan += [("cubercnn", "baseline", workers, True, False), ("cubercnn", "ours", workers, True, False)]
    with serving(stores["cubercnn"], args.workdir / "cubercnn", rate=args.rate_mb * 1e6) as streamed_urls:
        results = run_plan(plan, stores, counts, streamed_urls, args.repeats)
    report(results, streamed_only=args.streamed_only, rate_mb=args.rate_mb)


@contextlib.contextmanager
def serving(paths: list[str], root: Path, *, rate: float) -> Iterator[list[str]]:
    """The shards on a loopback server capping each connection at ``rate`` bytes/s; their URLs."""
    from tests.fault_server import FaultServer

    with FaultServer(rate_limit=rate, block_size=64 * 1024) as server:
        yield server.publish(paths, root)


def run_plan(
    plan: list[tuple[Any, ...]],
    stores: dict[str, list[str]],
    counts: dict[str, int],
    streamed_urls: list[str],
    repeats: int,
) -> dict[tuple[Any, ...], dict[str, Any]]:
    results: dict[tuple[Any, ...], dict[str, Any]] = {}
    for store, kind, workers, shuffle, mapping in plan:
        label = f"{store:8} {kind:8} workers={workers} shuffle={int(shuffle)} mapping={int(mapping)}"
        spec = {
            "label": label,
            "kind": kind,
            "urls": stores[store],
            "count": counts[store],
            "workers": workers,
            "shuffle": shuffle,
            "mapping": mapping,
            "repeats": repeats,
            "streamed_urls": streamed_urls,
        }
        result = run_in_subprocess(spec)
        results[(store, kind, workers, shuffle, mapping)] = result
        rates = " ".join(f"{r:6.1f}" for r in result["rates"])
        print(
            f"{label}  median {statistics.median(result['rates']):6.1f} samples/s (runs: {rates}), "
            f"CPU {statistics.median(result['cpu_ms']):5.1f} ms/sample, "
            f"peak RSS main {result['rss_main_mb']:5.0f} MB, worker {result['rss_worker_mb']:5.0f} MB",
            flush=True,
        )
    return results


def report(results: dict[tuple[Any, ...], dict[str, Any]], *, streamed_only: bool, rate_mb: float) -> None:
    def ratio(top: tuple[Any, ...], bottom: tuple[Any, ...]) -> str:
        value = statistics.median(results[top]["rates"]) / statistics.median(results[bottom]["rates"])
        return f"{value:4.2f}"

    print("\nratios of medians")
    for workers in (0, 2):
        streamed, local = (
            ("cubercnn", "streamed", workers, False, False),
            ("cubercnn", "ours", workers, False, False),
        )
        per_connection = f"{rate_mb:g} MB/s per connection"
        print(f"  cubercnn streamed at {per_connection} / local, workers={workers}: {ratio(streamed, local)}")
    if streamed_only:
        return
    for store in ("cubercnn", "efm"):
        limit = (store, "limit", 0, False, False)
        for workers in (0, 2):
            ours, base = (store, "ours", workers, False, False), (store, "baseline", workers, False, False)
            versus = f"ours/baseline {ratio(ours, base)}x, ours/decode-limit {ratio(ours, limit)}"
            print(f"  {store:8} workers={workers}: {versus}")
        two, zero = (store, "ours", 2, False, False), (store, "ours", 0, False, False)
        print(f"  {store:8} ours workers=2 / ours workers=0: {ratio(two, zero)}x")
        if store == "cubercnn":
            for workers in (0, 2):
                fast, base = (
                    (store, "ours-cl", workers, False, False),
                    (store, "baseline", workers, False, False),
                )
                versus = f"ours-cl/baseline {ratio(fast, base)}x, ours-cl/decode-limit {ratio(fast, limit)}"
                print(f"  {store:8} image_layout=channels_last workers={workers}: {versus}")
            cl2, cl0 = (store, "ours-cl", 2, False, False), (store, "ours-cl", 0, False, False)
            print(f"  {store:8} ours-cl workers=2 / ours-cl workers=0: {ratio(cl2, cl0)}x")
    for workers in (0, 2):
        mapped = ratio(("efm", "ours", workers, False, True), ("efm", "baseline", workers, False, True))
        shuffled = ratio(
            ("cubercnn", "ours", workers, True, False), ("cubercnn", "baseline", workers, True, False)
        )
        print(f"  efm with dict_key_mapping, workers={workers}: ours/baseline {mapped}x")
        print(f"  cubercnn shuffle on, workers={workers}: ours/baseline {shuffled}x")


if __name__ == "__main__":
    main()
