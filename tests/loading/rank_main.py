"""One simulated rank, run as a separate process by test_distributed.py.

Usage: ``python -m tests.loading.rank_main URLS_JSON OUT_JSON NUM_WORKERS [gloo RANK WORLD PORT]``.
Writes the ``[__url__, __key__]`` pairs this rank's loader yields, in order.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch.distributed as dist

from atek_store import create_native_atek_dataloader


def main(argv: list[str]) -> None:
    urls = json.loads(Path(argv[0]).read_text())
    out, num_workers = Path(argv[1]), int(argv[2])
    if len(argv) > 3 and argv[3] == "gloo":
        rank, world, port = int(argv[4]), int(argv[5]), int(argv[6])
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    loader = create_native_atek_dataloader(urls, shuffle_flag=True, seed=9, num_workers=num_workers)
    seen = []
    for epoch in range(2):
        loader.set_epoch(epoch)
        seen.append([[sample["__url__"], sample["__key__"]] for sample in loader])
    out.write_text(json.dumps(seen))
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1:])
