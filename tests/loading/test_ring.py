"""The shared ring hands bytes from a forked writer to the reader in order, with wrap-around and waiting."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from atek_store.loading import create_native_atek_dataloader
from atek_store.loading.ring import TensorRing


def _writer(ring: TensorRing, sizes: list[int], conn: Any) -> None:
    for index, size in enumerate(sizes):
        data = np.full(size, index % 251, dtype=np.uint8)
        conn.send(ring.put(data, budget=ring.capacity))
    conn.close()


def test_a_forked_writer_and_the_reader_pass_bytes_through_a_small_ring() -> None:
    context = multiprocessing.get_context("fork")
    ring = TensorRing(4096, context)
    rng = np.random.default_rng(0)
    sizes = [int(s) for s in rng.integers(1, 1500, size=200)]
    here, there = context.Pipe(duplex=False)
    writer = context.Process(target=_writer, args=(ring, sizes, there))
    writer.start()
    there.close()
    for index, size in enumerate(sizes):
        slot = here.recv()
        assert slot is not None
        data = ring.take(slot)
        assert data.nbytes == size
        assert (data == index % 251).all()
    writer.join(30)
    assert writer.exitcode == 0


def test_a_put_larger_than_its_budget_is_refused() -> None:
    ring = TensorRing(4096, multiprocessing.get_context("fork"))
    assert ring.put(np.zeros(5000, dtype=np.uint8), budget=4096) is None
    slot = ring.put(np.zeros(1000, dtype=np.uint8), budget=4096)
    assert slot is not None
    assert ring.put(np.zeros(4000, dtype=np.uint8), budget=4096 - slot.reserved) is None


def test_an_abandoned_pass_does_not_disturb_the_next(small_urls: list[str]) -> None:
    loader = create_native_atek_dataloader(small_urls, num_workers=2)
    full = [(s["__url__"], s["__key__"]) for s in loader]
    for _ in range(2):
        partial = iter(loader)
        head = [next(partial) for _ in range(3)]
        assert [(s["__url__"], s["__key__"]) for s in head] == full[:3]
        again = [(s["__url__"], s["__key__"]) for s in loader]  # while `partial` is still alive
        assert again == full
        del partial


@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_large_images_cross_the_ring_with_their_values_and_layout(golden_dir: Path, layout: str) -> None:
    urls = [str(golden_dir / "wds" / "adt_cubercnn" / "shards-0000.tar")] * 3  # 1408x1408: 6 MB each
    local = next(iter(create_native_atek_dataloader(urls[:1])))["mfcd#camera-rgb+images"]
    loader = create_native_atek_dataloader(urls, num_workers=2, image_layout=layout)
    images = [sample["mfcd#camera-rgb+images"] for sample in loader]
    assert len(images) == 3
    for image in images:
        assert torch.equal(image, local)
        assert image.is_contiguous() == (layout == "contiguous")
        assert image.is_contiguous(memory_format=torch.channels_last) == (layout == "channels_last")
