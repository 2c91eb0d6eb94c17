"""Signed URLs: what one secret signs, the same secret accepts until the expiry, nothing else."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atek_store.errors import SignatureError, UsageError
from atek_store.store.signing import UrlSigner

SECRET = "a-long-enough-test-secret"
PATH = "efm/seqB/shards-0000.tar"
NOW = 1_700_000_000.0


def params(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return parts.path.lstrip("/"), query["Expires"][0], query["Signature"][0]


def test_a_signed_url_verifies_until_it_expires() -> None:
    signer = UrlSigner(SECRET)
    url = signer.sign_url("http://127.0.0.1:8080/", PATH, int(NOW) + 60)
    assert url.startswith("http://127.0.0.1:8080/efm/seqB/shards-0000.tar?Expires=")
    path, expires, signature = params(url)
    assert signer.verify(path, expires, signature, now=NOW) == int(NOW) + 60
    assert signer.verify(path, expires, signature, now=NOW + 60) == int(NOW) + 60
    with pytest.raises(SignatureError, match="expired") as info:
        signer.verify(path, expires, signature, now=NOW + 61)
    assert info.value.reason == "expired"


def test_an_altered_signature_is_invalid() -> None:
    signer = UrlSigner(SECRET)
    _, expires, signature = params(signer.sign_url("http://h", PATH, int(NOW) + 60))
    altered = ("A" if signature[0] != "A" else "B") + signature[1:]
    with pytest.raises(SignatureError, match="tampered") as info:
        signer.verify(PATH, expires, altered, now=NOW)
    assert info.value.reason == "invalid"


def test_an_extended_expiry_is_invalid_not_expired() -> None:
    signer = UrlSigner(SECRET)
    _, expires, signature = params(signer.sign_url("http://h", PATH, int(NOW) - 10))
    with pytest.raises(SignatureError) as info:
        signer.verify(PATH, str(int(expires) + 86400), signature, now=NOW)
    assert info.value.reason == "invalid"


def test_another_secret_does_not_verify() -> None:
    _, expires, signature = params(UrlSigner(SECRET).sign_url("http://h", PATH, int(NOW) + 60))
    with pytest.raises(SignatureError) as info:
        UrlSigner(SECRET + "x").verify(PATH, expires, signature, now=NOW)
    assert info.value.reason == "invalid"


@pytest.mark.parametrize(
    ("expires", "signature", "reason"),
    [
        (None, None, "missing"),
        ("123", None, "missing"),
        ("soon", "abc", "malformed"),
        ("1e9", "x", "malformed"),
    ],
)
def test_missing_or_malformed_parameters_are_refused(
    expires: str | None, signature: str | None, reason: str
) -> None:
    with pytest.raises(SignatureError) as info:
        UrlSigner(SECRET).verify(PATH, expires, signature, now=NOW)
    assert info.value.reason == reason


def test_non_ascii_signatures_are_refused_not_crashed() -> None:
    with pytest.raises(SignatureError):
        UrlSigner(SECRET).verify(PATH, "1800000000", "é" * 43, now=NOW)


@given(other=st.text(min_size=1, max_size=60))
def test_a_signature_is_bound_to_its_path(other: str) -> None:
    signer = UrlSigner(SECRET)
    signature = signer.signature(PATH, 1_800_000_000)
    if other.lstrip("/") == PATH:
        return
    with pytest.raises(SignatureError):
        signer.verify(other, "1800000000", signature, now=NOW)


def test_a_leading_slash_does_not_change_the_signed_path() -> None:
    signer = UrlSigner(SECRET)
    assert signer.signature("/" + PATH, 5) == signer.signature(PATH, 5)


def test_an_empty_secret_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="secret"):
        UrlSigner("")


def test_the_secret_never_shows_in_repr() -> None:
    assert SECRET not in repr(UrlSigner(SECRET))
