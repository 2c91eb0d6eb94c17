"""A shard's origin: the URL as given for ``__url__``, a redacted name for messages, the file if local."""

from __future__ import annotations

from pathlib import Path

import pytest

from atek_store.errors import UsageError
from atek_store.sources import ShardOrigin, is_remote


@pytest.mark.parametrize(
    ("source", "name", "local_path"),
    [
        ("data/seq/shards-0000.tar", "data/seq/shards-0000.tar", "data/seq/shards-0000.tar"),
        (
            "file:///data/my%20seq/shards-0000.tar",
            "file:///data/my%20seq/shards-0000.tar",
            "/data/my seq/shards-0000.tar",
        ),
        (
            "https://cdn.example.org/a/shards-0000.tar?Signature=s3cr3t",
            "https://cdn.example.org/a/shards-0000.tar?…",
            None,
        ),
        ("c:/data/shards-0000.tar", "c:/data/shards-0000.tar", "c:/data/shards-0000.tar"),
    ],
)
def test_origin_keeps_the_url_redacts_the_name_and_knows_the_file(
    source: str, name: str, local_path: str | None
) -> None:
    origin = ShardOrigin.of(source)
    assert origin.url == source
    assert origin.name == name
    assert origin.local_path == local_path
    assert origin.remote == (local_path is None)
    expected = {"__url__": source} | ({"__local_path__": local_path} if local_path else {})
    assert origin.sample_keys == expected


def test_a_path_object_is_always_a_local_file(tmp_path: Path) -> None:
    odd = tmp_path / "ab:cd.tar"
    origin = ShardOrigin.of(odd)
    assert origin.local_path == str(odd)
    assert not is_remote(odd)


@pytest.mark.parametrize("url", ["ftp://x/y.tar", "s3://bucket/shards-0000.tar?X-Amz-Signature=abc"])
def test_an_unsupported_scheme_is_named_without_the_signature(url: str) -> None:
    with pytest.raises(UsageError, match="scheme '(ftp|s3)' is not supported") as caught:
        ShardOrigin.of(url)
    assert "abc" not in str(caught.value)


def test_a_stream_origin_has_no_file() -> None:
    origin = ShardOrigin.of_stream("https://h/x.tar?sig=1")
    assert origin.sample_keys == {"__url__": "https://h/x.tar?sig=1"}
    assert "sig=1" not in origin.name
