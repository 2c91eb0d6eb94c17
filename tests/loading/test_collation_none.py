"""``collation_fn=None`` means what it meant to the original: batches are plain lists."""

from __future__ import annotations

import pytest

from atek_store import load_atek_wds_dataset, simple_list_collation_fn
from atek_store.errors import UsageError
from atek_store.loading.collate import batch_collation


def test_none_keeps_the_list_and_a_function_is_kept() -> None:
    assert batch_collation(None) is simple_list_collation_fn
    assert batch_collation(len) is len
    with pytest.raises(UsageError, match="collation_fn must be None or a function") as caught:
        batch_collation("stack")  # type: ignore[arg-type]
    assert caught.value.flag == "collation_fn"


def test_a_loader_without_collation_yields_lists_of_samples(small_urls: list[str]) -> None:
    batches = list(load_atek_wds_dataset(small_urls[:2], batch_size=3, collation_fn=None))
    assert [len(batch) for batch in batches] == [3, 1]
    assert all(isinstance(batch, list) and isinstance(batch[0], dict) for batch in batches)
    # Without batching, collation_fn=None changes nothing.
    assert len(list(load_atek_wds_dataset(small_urls[:2], collation_fn=None))) == 4
