"""What runs inside a bounded child: read hostile shards one by one and say how each ended.

The parent test (``test_shards.py``) builds the corpus, then runs :func:`probe_cases` in a child
under a time and memory bound (:func:`tests.bounded.run_bounded`); the child prints each case's
name before reading it, so a case that hangs is named in the output the parent gets back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def outcome_of(read: Callable[[], int]) -> dict[str, Any]:
    """Run ``read`` (returns how many samples it got) and describe how it ended."""
    from atek_store.errors import AtekStoreError

    started = time.monotonic()
    try:
        samples = read()
    except Exception as error:  # noqa: BLE001 - what it raised is the answer
        return {
            "ended": "raised",
            "ours": isinstance(error, AtekStoreError),
            "type": type(error).__name__,
            "format_error": _is_format_error(error),
            "message": str(error)[:600],
            "message_length": len(str(error)),
            "seconds": time.monotonic() - started,
        }
    return {"ended": "returned", "samples": samples, "seconds": time.monotonic() - started}


def _is_format_error(error: BaseException) -> bool:
    from atek_store.errors import FormatError

    return isinstance(error, FormatError)


def _limits(overrides: dict[str, int]) -> Any:
    from atek_store.format import ReadLimits

    return ReadLimits(**overrides)


def probe_cases(corpus: str, kinds: list[str], how: str) -> list[dict[str, Any]]:
    """Read every case of ``kinds`` from the corpus file; ``how``: "tar" (group samples) or "decode"."""
    from atek_store.format import iter_shard
    from atek_store.format.tario import iter_raw_samples

    results = []
    for case in json.loads(Path(corpus).read_text()):
        if case["kind"] not in kinds:
            continue
        print("case", case["name"], flush=True)
        limits = _limits(case["limits"])
        path = case["path"]

        def read_tar(path: str = path, limits: Any = limits) -> int:
            with open(path, "rb") as stream:
                return sum(1 for _ in iter_raw_samples(stream, shard=path, limits=limits))

        def read_decoded(path: str = path, limits: Any = limits) -> int:
            return sum(1 for _ in iter_shard(path, limits=limits))

        results.append({**case, **outcome_of(read_tar if how == "tar" else read_decoded)})
    return results


def probe_loader(corpus: str, good: str) -> dict[str, Any]:
    """Every corpus shard (default limits), then a good one, through the loader with ``handler="warn"``."""
    import warnings

    from atek_store import load_atek_wds_dataset

    urls = [case["path"] for case in json.loads(Path(corpus).read_text()) if not case["limits"]]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset = load_atek_wds_dataset([*urls, good], handler="warn")
        outcome = outcome_of(lambda: sum(1 for _ in dataset))
    return {**outcome, "warnings": len(caught), "shards": len(urls)}


def _peak_mb() -> float:
    """This process's own peak RSS since exec (getrusage also counts the parent forked into it)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024.0


def probe_streams(folder: str, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stream each ``{"file", "limits", "cache", "endless"}`` case over loopback HTTP through the source.

    ``endless``: after the file, the server sends zeros until the client leaves.
    """
    from atek_store.sources import ShardCache, ShardOpener
    from tests.fault_server import Fault, FaultServer

    results = []
    with FaultServer() as server:
        base = server.mount(Path(folder))
        for case in cases:
            if case.get("endless"):
                server.faults["/" + case["file"]] = Fault(endless=True)
            print("case", case["file"], flush=True)
            cache = ShardCache(Path(folder) / "cache") if case.get("cache") else None
            opener = ShardOpener(cache=cache, limits=_limits(case.get("limits", {})))
            url = f"{base}/{case['file']}?Signature=secret"
            before = _peak_mb()
            outcome = outcome_of(lambda url=url, opener=opener: sum(1 for _ in opener.samples(url)))
            opener.close()
            files = (Path(folder) / "cache").rglob("*") if cache else iter(())
            cached = sorted(p.name for p in files if p.is_file() and p.name != ".atek-cache.lock")
            results.append(
                {**case, **outcome, "peak_before_mb": before, "peak_after_mb": _peak_mb(), "cached": cached}
            )
    return results


def probe_cli(commands: list[list[str]]) -> list[dict[str, Any]]:
    """Run each command line through ``atek_store.cli.main``: exit code and what reached stderr."""
    import contextlib
    import io

    from atek_store.cli import main

    results = []
    for argv in commands:
        print("command", argv[:2], flush=True)
        err, out = io.StringIO(), io.StringIO()
        started = time.monotonic()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                code: int | str = main(argv)
            except BaseException as error:  # noqa: BLE001 - an escape is the failure we look for
                code = f"escaped {type(error).__name__}: {error}"[:300]
        results.append(
            {
                "argv": argv,
                "code": code,
                "stderr": err.getvalue()[-2000:],
                "seconds": time.monotonic() - started,
            }
        )
    return results
