"""A Hypothesis fuzzer over real and synthetic shards: byte flips, truncations, header fields, PAX records.

Runs inside a bounded child (``test_fuzz.py``): each example takes one seed shard, applies one to
four mutations and reads the result front to back, decoding every sample. It must end with
samples or with one of our own errors; anything else (a raw exception, a hang, a blow-up of
memory, caught by the child's bounds) is a failure. Failures are collected, not raised, so
Hypothesis does not spend the time budget shrinking a 2 MB shard; each comes back with the seed
and the mutations that produced it, which reproduce it with :func:`mutate`.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from tests.hostile import tarcraft as T

# Header fields a mutation may overwrite: (offset, length).
FIELDS = {
    "name": (0, 100),
    "mode": (100, 8),
    "size": (124, 12),
    "checksum": (148, 8),
    "typeflag": (156, 1),
    "magic": (257, 8),
    "prefix": (345, 155),
}
HOSTILE_VALUES = [
    b"abcdefgh",
    b"\x80" + (1 << 80).to_bytes(11, "big"),
    b"\xff" * 12,
    b"\x81" + b"\0" * 11,
    b"77777777777\0",
    b"00000000000\0",
    b"-0000000001\0",
    b"x",
    b"L",
    b"K",
    b"g",
    b"5",
    b"\0" * 12,
    b" " * 12,
]
PAX_RECORDS = [
    b"0 path=x\n",
    b"-5 path=x\n",
    b"999999 path=x\n",
    b"3 x=y\n",
    T.pax_record(b"size", b"-1"),
    T.pax_record(b"size", b"abc"),
    T.pax_record(b"size", b"9" * 40),
    T.pax_record(b"size", str(1 << 40).encode()),
    T.pax_record(b"\xff\xfe", b"1"),
    T.pax_record(b"path", b"a" * 300),
    b"",
]
MEMBER_CONTENT = [
    b"[" * 4096,
    b"\xff\xd8\xff\xc0\x00\x11\x08\xea\x60\xea\x60\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01",
    b"PK\x05\x06" + b"\xff" * 18,
    b"\x80\x02\x8e" + (1 << 62).to_bytes(8, "little"),
    b"\0" * 64,
]


@dataclass(frozen=True)
class Seed:
    """A shard to mutate, with where its headers and payloads are."""

    name: str
    data: bytes
    headers: tuple[int, ...]
    pax: tuple[tuple[int, int], ...]  # (header offset, payload size) of the PAX headers
    members: tuple[tuple[int, int], ...]  # (payload offset, size) of the regular members


def load_seed(path: Path) -> Seed:
    """Read a shard and find its headers by walking it (the seeds are well-formed)."""
    data = path.read_bytes()
    headers, pax, members = [], [], []
    pos = 0
    while pos + T.BLOCK <= len(data):
        block = data[pos : pos + T.BLOCK]
        if block == b"\0" * T.BLOCK:
            break
        size = int(block[124:136].split(b"\0", 1)[0].strip() or b"0", 8)
        headers.append(pos)
        if block[156:157] == b"x":
            pax.append((pos, size))
        elif size:
            members.append((pos + T.BLOCK, size))
        pos += T.BLOCK + (size + T.BLOCK - 1) // T.BLOCK * T.BLOCK
    return Seed(path.name, data, tuple(headers), tuple(pax), tuple(members))


def mutation() -> st.SearchStrategy[tuple[Any, ...]]:
    """One mutation, as a plain tuple (so that a failure reports it readably)."""
    index = st.integers(0, 1 << 30)
    return st.one_of(
        st.tuples(st.just("flip"), index, st.integers(1, 255)),
        st.tuples(st.just("flip_member"), index, index, st.integers(1, 255)),
        st.tuples(st.just("truncate"), index),
        st.tuples(
            st.just("field"),
            index,
            st.sampled_from(sorted(FIELDS)),
            st.one_of(st.sampled_from(HOSTILE_VALUES), st.binary(min_size=1, max_size=12)),
            st.booleans(),
        ),
        st.tuples(st.just("pax"), index, st.sampled_from(PAX_RECORDS)),
        st.tuples(st.just("content"), index, st.sampled_from(MEMBER_CONTENT)),
        st.tuples(st.just("splice"), index, index, st.integers(1, 8)),
    )


def mutate(seed: Seed, mutations: list[tuple[Any, ...]]) -> bytes:
    """Apply ``mutations`` in order (indices wrap around what the seed has)."""
    data = bytearray(seed.data)
    for kind, *args in mutations:
        if not data:
            break
        if kind == "flip":
            data[args[0] % len(data)] ^= args[1]
        elif kind == "flip_member" and seed.members:
            start, size = seed.members[args[0] % len(seed.members)]
            at = start + args[1] % size
            if at < len(data):
                data[at] ^= args[2]
        elif kind == "truncate":
            del data[args[0] % len(data) :]
        elif kind == "content" and seed.members:
            start, size = seed.members[args[0] % len(seed.members)]
            value = args[1][:size]
            data[start : start + len(value)] = value
        elif kind == "field" and seed.headers:
            start = seed.headers[args[0] % len(seed.headers)]
            offset, length = FIELDS[args[1]]
            value = args[2][:length].ljust(length, b"\0")
            data[start + offset : start + offset + length] = value
            if args[3]:  # a valid checksum, so that the reader goes past it to the hostile field
                block = bytes(data[start : start + T.BLOCK]).ljust(T.BLOCK, b"\0")
                data[start + 148 : start + 156] = T.checksum(block)
        elif kind == "pax" and seed.pax:
            at, size = seed.pax[args[0] % len(seed.pax)]
            record = args[1][:size].ljust(size, b"\n")
            data[at + T.BLOCK : at + T.BLOCK + size] = record
        elif kind == "splice":
            blocks = len(data) // T.BLOCK
            if blocks:
                start = args[0] % blocks * T.BLOCK
                chunk = data[start : start + args[2] * T.BLOCK]
                where = args[1] % blocks * T.BLOCK
                data[where:where] = chunk
    return bytes(data)


def run_fuzz(seed_paths: list[str], examples: int, random_seed: int | None = None) -> dict[str, Any]:
    """Fuzz ``examples`` mutated shards; returns counts, the slowest example and any failures.

    Without ``random_seed`` the examples are derandomized (the same on every run, as CI wants);
    with one, a different set per seed.
    """
    from atek_store.errors import AtekStoreError
    from atek_store.format import iter_shard

    seeds = [load_seed(Path(path)) for path in seed_paths]
    stats: dict[str, Any] = {"examples": 0, "samples": 0, "errors": {}, "slowest_s": 0.0, "failures": []}

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=random_seed is None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(which=st.integers(0, len(seeds) - 1), mutations=st.lists(mutation(), min_size=1, max_size=4))
    def one(which: int, mutations: list[tuple[Any, ...]]) -> None:
        data = mutate(seeds[which], mutations)
        started = time.monotonic()
        try:
            stats["samples"] += sum(1 for _ in iter_shard(io.BytesIO(data), url=f"fuzz/{seeds[which].name}"))
        except AtekStoreError as error:
            stats["errors"][type(error).__name__] = stats["errors"].get(type(error).__name__, 0) + 1
            if len(str(error)) > 2000:
                stats["failures"].append(
                    {"seed": seeds[which].name, "mutations": repr(mutations), "long": len(str(error))}
                )
        except Exception as error:  # noqa: BLE001 - a raw exception is the finding
            if len(stats["failures"]) < 10:
                stats["failures"].append(
                    {
                        "seed": seeds[which].name,
                        "mutations": repr(mutations)[:2000],
                        "error": f"{type(error).__name__}: {error}"[:500],
                    }
                )
        stats["examples"] += 1
        stats["slowest_s"] = max(stats["slowest_s"], time.monotonic() - started)

    (one if random_seed is None else hypothesis_seed(random_seed)(one))()
    return stats
