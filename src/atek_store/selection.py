"""Which sequences a seed selects, and how they split into train and validation.

The default rule is the original downloader's, reproduced exactly so that the same seed gives the
same sequences and split: sort the names, ``random.seed(seed)`` + ``random.shuffle`` (a private
``random.Random(seed)`` draws the identical permutation without touching global state), keep the
first K, then train = the first ``int(len * ratio)``; or a split JSON decides, in its list order.

The optional *stable* rule ranks each name by ``sha256(f"{seed}:{name}")`` and keeps the K lowest; a
sequence goes to train when a second hash, ``sha256(f"{seed}:split:{name}")`` read as a fraction in
[0, 1), is below the ratio. Both depend on the name alone, so when the store gains sequences the
existing ones keep their rank and their side of the split (the train share is then close to the
ratio rather than exactly ``int(len * ratio)``).
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from atek_store.errors import UsageError
from atek_store.untrusted import brief_names, read_json_file

__all__ = [
    "Selection",
    "Split",
    "SplitSpec",
    "check_ratio",
    "load_split_json",
    "make_selection",
    "select_sequences",
    "split_by_ratio",
    "split_by_spec",
    "stable_rank",
    "stable_split_value",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SplitSpec:
    """An explicit split (``{"train_sequences": [...], "val_sequences": [...]}``)."""

    train: tuple[str, ...]
    validation: tuple[str, ...]
    source: str = "<split JSON>"


@dataclass(frozen=True)
class Split:
    """Train and validation sequence names, each in its own order."""

    train: tuple[str, ...]
    validation: tuple[str, ...]


@dataclass(frozen=True)
class Selection:
    """The chosen sequences, in selection order, and their split."""

    seed: int
    selected: tuple[str, ...]
    train: tuple[str, ...]
    validation: tuple[str, ...]
    rule: str  # "original" or "stable"
    split_source: str  # "ratio" or the split JSON's path

    @property
    def all(self) -> tuple[str, ...]:
        """Train then validation sequences (each once)."""
        return tuple(dict.fromkeys(self.train + self.validation))


def _check_k(max_num_sequences: int | None) -> int | None:
    # The original's rule: absent, 0 or negative means "all".
    if max_num_sequences is None or max_num_sequences <= 0:
        return None
    return max_num_sequences


def _hash_fraction(text: str) -> float:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def stable_rank(seed: int, name: str) -> str:
    """The stable rule's sort key of ``name``: hex sha256 of ``"{seed}:{name}"``."""
    return hashlib.sha256(f"{seed}:{name}".encode()).hexdigest()


def stable_split_value(seed: int, name: str) -> float:
    """The stable rule's split draw of ``name`` in [0, 1): train when below the ratio."""
    return _hash_fraction(f"{seed}:split:{name}")


def select_sequences(
    names: Iterable[str], *, seed: int, max_num_sequences: int | None = None, stable: bool = False
) -> list[str]:
    """The selected names, in selection order.

    Args:
        names: every sequence name of the config (any order; duplicates are ignored).
        seed: the random seed (``--random-seed``).
        max_num_sequences: keep the first K; ``None``, 0 or negative keeps all.
        stable: use the hash ranking instead of the original's shuffle.
    """
    ordered = sorted(set(names))
    if stable:
        ordered.sort(key=lambda name: stable_rank(seed, name))
    else:
        random.Random(seed).shuffle(ordered)
    k = _check_k(max_num_sequences)
    return ordered if k is None else ordered[:k]


def check_ratio(ratio: float) -> float:
    """Return ``ratio`` when it is in [0, 1] (NaN is not).

    Raises:
        UsageError: naming ``--train-val-split-ratio``.
    """
    if not 0.0 <= ratio <= 1.0:
        raise UsageError(
            f"--train-val-split-ratio must be between 0 and 1, got {ratio}", flag="--train-val-split-ratio"
        )
    return ratio


def split_by_ratio(selected: Sequence[str], ratio: float, *, seed: int = 0, stable: bool = False) -> Split:
    """Train and validation names: the first ``int(len * ratio)`` go to train (or the stable draw)."""
    check_ratio(ratio)
    if stable:
        return Split(
            train=tuple(name for name in selected if stable_split_value(seed, name) < ratio),
            validation=tuple(name for name in selected if stable_split_value(seed, name) >= ratio),
        )
    cut = int(len(selected) * ratio)
    return Split(train=tuple(selected[:cut]), validation=tuple(selected[cut:]))


def split_by_spec(selected: Sequence[str], spec: SplitSpec) -> Split:
    """Train and validation names from a split JSON, in its list order, kept to the selection.

    Names the selection lacks are dropped (as the original does) with a warning; so are selected
    sequences that neither list names.

    Raises:
        UsageError: a sequence is listed in both train and validation (a leak).
    """
    both = sorted(set(spec.train) & set(spec.validation))
    if both:
        raise UsageError(
            f"{spec.source}: sequences in both train_sequences and val_sequences: {brief_names(both)}",
            path=spec.source,
        )
    chosen = set(selected)
    train = tuple(dict.fromkeys(name for name in spec.train if name in chosen))
    validation = tuple(dict.fromkeys(name for name in spec.validation if name in chosen))
    dropped = [name for name in (*spec.train, *spec.validation) if name not in chosen]
    if dropped:
        _log.warning(
            "%s: %d listed sequences are not among the selected ones and are skipped (e.g. %s)",
            spec.source,
            len(dropped),
            brief_names(dropped, 5),
        )
    listed = {*train, *validation}
    unlisted = [name for name in selected if name not in listed]
    if unlisted:
        _log.warning(
            "%s: %d selected sequences are in neither list and are skipped (e.g. %s)",
            spec.source,
            len(unlisted),
            brief_names(unlisted, 5),
        )
    return Split(train=train, validation=validation)


def load_split_json(path: str | Path) -> SplitSpec:
    """Read a split JSON with ``train_sequences`` and ``val_sequences`` name lists.

    Raises:
        UsageError: the file is missing, not JSON, or lacks either list of strings.
    """
    path = Path(path)
    flag = "--train-val-split-json-path"
    data = read_json_file(
        path, what="split JSON", fail=lambda message: UsageError(message, flag=flag, path=str(path))
    ).data
    lists: list[tuple[str, ...]] = []
    for key in ("train_sequences", "val_sequences"):
        value = data.get(key) if isinstance(data, dict) else None
        if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
            raise UsageError(
                f"{path}: {key!r} must be a list of sequence names "
                '({"train_sequences": [...], "val_sequences": [...]})',
                flag=flag,
                path=str(path),
            )
        lists.append(tuple(value))
    return SplitSpec(train=lists[0], validation=lists[1], source=str(path))


def make_selection(
    names: Iterable[str],
    *,
    seed: int = 42,
    max_num_sequences: int | None = None,
    ratio: float = 0.9,
    split: SplitSpec | None = None,
    stable: bool = False,
) -> Selection:
    """Select and split in one call (what the downloader does).

    Raises:
        UsageError: the ratio is out of range, or a split JSON names none of the selected sequences
            (the message lists names the config does not have).
    """
    if split is None:
        check_ratio(ratio)
    names = list(names)
    selected = select_sequences(names, seed=seed, max_num_sequences=max_num_sequences, stable=stable)
    if split is not None:
        parts = split_by_spec(selected, split)
        if selected and not parts.train and not parts.validation:
            raise UsageError(_matches_nothing(split, set(names)), flag="--train-val-split-json-path")
    else:
        parts = split_by_ratio(selected, ratio, seed=seed, stable=stable)
    return Selection(
        seed=seed,
        selected=tuple(selected),
        train=parts.train,
        validation=parts.validation,
        rule="stable" if stable else "original",
        split_source=split.source if split is not None else "ratio",
    )


def _matches_nothing(split: SplitSpec, known: set[str]) -> str:
    listed = list(dict.fromkeys((*split.train, *split.validation)))
    unknown = [name for name in listed if name not in known]
    if not listed:
        return f"{split.source}: train_sequences and val_sequences are both empty; nothing would be selected"
    if unknown:
        return (
            f"{split.source}: none of its {len(listed)} sequences is among the selected ones; "
            f"{len(unknown)} are not in the config at all: {brief_names(unknown)}. Check the config name, "
            "or that the split JSON belongs to this dataset"
        )
    return (
        f"{split.source}: none of its {len(listed)} sequences is among the selected ones (they are in the "
        "config but --max-num-sequences left them out); raise --max-num-sequences or leave it out"
    )
