"""Items handed off from DataLoader workers keep their values; small tensors travel by value."""

from __future__ import annotations

import pickle
from multiprocessing.reduction import ForkingPickler

import torch
import torch.multiprocessing  # noqa: F401 - registers the shared-memory reductions

from atek_store.loading.handoff import INLINE_MAX_BYTES, WorkerItem
from tests.loading.values import same


def test_tagged_items_round_trip_with_every_dtype_and_shape() -> None:
    value = {
        "__key__": "k",
        "f": torch.arange(6, dtype=torch.float32).reshape(2, 3).t(),  # non-contiguous
        "scalar": torch.tensor(2.5, dtype=torch.float64),
        "empty": torch.zeros(0, 3),
        "flags": torch.tensor([True, False]),
        "half": torch.tensor([1.0, 2.0], dtype=torch.bfloat16),
        "gt": {"obb": {"ids": torch.arange(4)}},
        "points": [torch.ones(2, 3), torch.zeros(1, 3)],
        "pair": (torch.ones(1), "x"),
    }
    item = WorkerItem(value, 1, {"epoch": 3, "chain": {}})
    back = ForkingPickler.loads(ForkingPickler.dumps(item))
    assert isinstance(back, WorkerItem)
    assert back.stream == 1
    assert back.state == {"epoch": 3, "chain": {}}
    assert same(back.value, value)


def test_only_small_tensors_are_inlined() -> None:
    big = torch.zeros(INLINE_MAX_BYTES + 1, dtype=torch.uint8)
    small = torch.zeros(16)
    data = pickle.dumps(WorkerItem({"big": big, "small": small}, 0, {}))
    back = pickle.loads(data)
    assert torch.equal(back.value["big"], big)
    assert len(data) > INLINE_MAX_BYTES  # plain pickle: the big one is in the bytes too
    shared = ForkingPickler.dumps(WorkerItem({"big": big, "small": small}, 0, {}))
    assert len(shared) < INLINE_MAX_BYTES  # through shared memory, not the pipe
    assert torch.equal(ForkingPickler.loads(shared).value["big"], big)
