"""Fixtures of the viz tests: the golden shards served over loopback HTTP, with three faulty paths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fault_server import Fault, FaultServer

EFM = "adt_efm_short/shards-0000.tar"


@pytest.fixture(scope="module")
def golden_server(golden_dir: Path) -> Iterator[str]:
    """Base URL under which ``<set>/shards-0000.tar`` of ``../shared/golden/wds`` are served.

    ``/expired/<efm shard>`` answers 403, ``/broken/<efm shard>`` 500, and ``/cut/<efm shard>``
    sends the length of the whole shard but breaks off halfway through every answer.
    """
    with FaultServer() as server:
        base = server.mount(golden_dir / "wds")
        data = (golden_dir / "wds" / EFM).read_bytes()
        server.faults[f"/expired/{EFM}"] = Fault(status=403, status_times=None)
        server.faults[f"/broken/{EFM}"] = Fault(status=500, status_times=None)
        server.add(f"cut/{EFM}", data)
        server.faults[f"/cut/{EFM}"] = Fault(cut_after=len(data) // 2, cut_times=None, ignore_range=True)
        yield base
