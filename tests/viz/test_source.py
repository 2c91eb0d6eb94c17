"""A shard is read from a path or streamed from an http(s) URL; failures name the URL."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from atek_store.errors import FormatError, TransferError, UrlsExpiredError, UsageError
from atek_store.loading import HttpOptions
from atek_store.viz import iter_shard_samples, read_sample

EFM = "adt_efm_short/shards-0000.tar"


def test_a_url_streams_the_same_samples_as_the_file(golden_dir: Path, golden_server: str) -> None:
    local = list(iter_shard_samples(golden_dir / "wds" / EFM))
    remote = list(iter_shard_samples(f"{golden_server}/{EFM}?Expires=1&Signature=abc"))
    assert [s["__key__"] for s in remote] == [s["__key__"] for s in local]
    assert remote[0]["__url__"].endswith("Signature=abc")
    for a, b in zip(local, remote, strict=True):
        assert torch.equal(a["mfcd#camera-rgb+images"], b["mfcd#camera-rgb+images"])


def test_read_sample_decodes_only_the_chosen_one(golden_dir: Path, golden_server: str) -> None:
    second = read_sample(f"{golden_server}/{EFM}", 1)
    assert second["__key__"] == "_AtekDataSample_000001"
    assert read_sample(golden_dir / "wds" / EFM, 1)["__key__"] == second["__key__"]


def test_reading_past_the_last_sample_says_how_many_there_are(golden_dir: Path) -> None:
    with pytest.raises(UsageError, match="has 2 samples; sample 2 does not exist"):
        read_sample(golden_dir / "wds" / EFM, 2)
    with pytest.raises(UsageError, match=">= 0"):
        read_sample(golden_dir / "wds" / EFM, -1)


def test_an_expired_signed_url_is_reported_as_such(golden_server: str) -> None:
    with pytest.raises(UrlsExpiredError, match="HTTP 403") as caught:
        read_sample(f"{golden_server}/expired/{EFM}?Signature=secret", 0)
    assert "secret" not in str(caught.value)  # signatures stay out of messages
    assert "/expired/" in str(caught.value)


def test_a_server_error_is_a_transfer_error(golden_server: str) -> None:
    with pytest.raises(TransferError, match="HTTP 500"):
        # 5xx answers are retried with backoff; without retries the error comes at once.
        read_sample(f"{golden_server}/broken/{EFM}", 0, http_options=HttpOptions(retries=0))


def test_a_cut_stream_is_reported_truncated_or_failed(golden_server: str) -> None:
    with pytest.raises((FormatError, TransferError)) as caught:
        list(iter_shard_samples(f"{golden_server}/cut/{EFM}"))
    assert "/cut/" in str(caught.value)


def test_an_unreachable_server_is_a_transfer_error(refused_url: str) -> None:
    with pytest.raises(TransferError, match="cannot reach"):
        read_sample(refused_url, 0, http_options=HttpOptions(retries=0))


def test_a_folder_is_not_a_shard(golden_dir: Path) -> None:
    with pytest.raises(UsageError, match="folder"):
        read_sample(golden_dir / "wds", 0)
