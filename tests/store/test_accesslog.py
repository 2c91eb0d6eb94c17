"""The access log never holds a URL's credentials."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import urllib3

from atek_store.store.accesslog import redact_path
from atek_store.store.server import start_store_server
from tests.store.builders import write_shard


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/access/abcDEF123_-xyz", "/access/<token>"),
        ("/access/abcDEF123_-xyz/ADT_ATEK_download_urls.json", "/access/<token>/ADT_ATEK_download_urls.json"),
        ("/efm/seq/shards-0000.tar", "/efm/seq/shards-0000.tar"),
        ("/" + "a" * 1000, "/" + "a" * 299),
    ],
)
def test_tokens_are_redacted(path: str, shown: str) -> None:
    assert redact_path(path) == shown


def test_signatures_stay_out_of_the_access_log(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write_shard(tmp_path / "cfg" / "seq" / "shards-0000.tar")
    with (
        caplog.at_level(logging.INFO, logger="atek_store.store.access"),
        start_store_server(tmp_path, secret="access-log-secret-0123", access_log=True) as server,
    ):
        url = f"{server.url}/cfg/seq/shards-0000.tar?Grant=abcdefgh12345678&Expires=1&Signature=SECRETSIG"
        urllib3.request("GET", url, retries=False)
    assert "SECRETSIG" not in caplog.text
    assert '"GET /cfg/seq/shards-0000.tar" grant=abcdefgh12345678 403' in caplog.text


def test_refusals_log_no_signature_and_no_token(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Not store paths (a hidden segment, a grant page with a trailing slash), and a bad signature
    # on a path under /access/: each refusal is logged without the credential it carried.
    write_shard(tmp_path / "cfg" / "seq" / "shards-0000.tar")
    token = "TOKENtoken0123456789_-TOKENtoken0123456789"
    with (
        caplog.at_level(logging.DEBUG, logger="atek_store"),
        start_store_server(tmp_path, secret="access-log-secret-0123") as server,
    ):
        for path in (
            "/.hidden/shards-0000.tar?Expires=1&Signature=SECRETSIG",
            f"/access/{token}/",
            f"/access/{token}/a/b?Expires=1&Signature=SECRETSIG",
        ):
            assert urllib3.request("GET", server.url + path, retries=False).status in (403, 404)
    assert "refused GET" in caplog.text
    assert "SECRETSIG" not in caplog.text
    assert token not in caplog.text
