"""No signature and no credentials in any URL we show."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from atek_store.http import redact_text, redact_url


def test_signatures_and_credentials_are_hidden() -> None:
    assert redact_url("https://cdn/x.tar?Signature=secret&Expires=1") == "https://cdn/x.tar?…"
    assert redact_url("http://alice:pw@127.0.0.1:8080/x.tar") == "http://…@127.0.0.1:8080/x.tar"
    assert redact_url("http://token@h/x#frag") == "http://…@h/x#…"
    assert redact_url("https://cdn/x.tar") == "https://cdn/x.tar"
    assert redact_url("/local/path.tar") == "/local/path.tar"


def test_redacting_twice_changes_nothing() -> None:
    once = redact_url("http://a:b@h/p?q=1")
    assert redact_url(once) == once


def test_urls_inside_library_messages_are_redacted() -> None:
    url = "https://bob:hunter2@cdn.example/seq/x.tar?X-Amz-Signature=abc123"
    message = f"Max retries exceeded with url: /seq/x.tar?X-Amz-Signature=abc123 (caused by {url!r})"
    cleaned = redact_text(message, url)
    assert "abc123" not in cleaned
    assert "hunter2" not in cleaned
    assert "bob" not in cleaned
    assert "/seq/x.tar" in cleaned


@given(
    user=st.text("abcdefgh", min_size=1),
    password=st.text("ijklmnop", min_size=1),
    secret=st.text("0123456789ABCDEF", min_size=4),
)
def test_no_secret_survives(user: str, password: str, secret: str) -> None:
    url = f"https://{user}:{password}@cdn.example/a/b.tar?Signature={secret}&Key-Pair-Id=K"
    for shown in (redact_url(url), redact_text(f"failed: {url}", url)):
        assert f"{user}:{password}" not in shown
        assert secret not in shown
