"""One rank of a job, run as a separate process by test_distributed.py.

Usage: ``python -m tests.loading.rank_main SPEC_JSON RANK``. The spec (JSON) gives ``urls``,
``world``, ``workers``, ``epochs`` (passes to read, one per epoch), ``stop`` (items to read in the
first pass, null for all), ``state_in`` (a state file to resume from, or null), ``out`` (a folder)
and ``gloo`` (a file for ``torch.distributed``'s file store, or null to use ``RANK``/``WORLD_SIZE``).
Writes ``rank<R>.json``: the ``[__url__, __key__]`` pairs of each pass, and the state after the
first pass.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import torch.distributed as dist

from atek_store import create_native_atek_dataloader


def main(argv: list[str]) -> None:
    spec = json.loads(Path(argv[0]).read_text())
    rank = int(argv[1])
    if spec["gloo"]:
        dist.init_process_group(
            "gloo", init_method=f"file://{spec['gloo']}", rank=rank, world_size=spec["world"]
        )
    loader = create_native_atek_dataloader(
        spec["urls"], shuffle_flag=True, seed=9, num_workers=spec["workers"]
    )
    if spec["state_in"]:
        loader.load_state_dict(json.loads(Path(spec["state_in"]).read_text()))
    passes, state = [], None
    for epoch in range(spec["epochs"]):
        if epoch:
            loader.set_epoch(epoch)
        stop = spec["stop"] if epoch == 0 else None
        passes.append([[s["__url__"], s["__key__"]] for s in itertools.islice(loader, stop)])
        if epoch == 0:
            state = loader.state_dict()  # gathered over every rank under torch.distributed
    Path(spec["out"], f"rank{rank}.json").write_text(json.dumps({"passes": passes, "state": state}))
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1:])
