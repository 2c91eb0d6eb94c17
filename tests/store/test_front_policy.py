"""Who may request access: email checks, the domain allow-list, CSRF pairs, the rate limit."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from atek_store.errors import UsageError
from atek_store.store.front.csrf import CsrfTokens
from atek_store.store.front.policy import FrontConfig, normalise_email
from atek_store.store.front.ratelimit import RateLimiter


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("ada@uni.edu", "ada@uni.edu"),
        ("  Ada.Lovelace+atek@CS.Uni.EDU ", "Ada.Lovelace+atek@cs.uni.edu"),
        ("o'brien@example.co.uk", "o'brien@example.co.uk"),
        ("no-at-sign", None),
        ("a@b", None),
        ("a@-b.org", None),
        ("a..b@uni.edu", None),
        (".a@uni.edu", None),
        ("a@uni.123", None),
        ("a b@uni.edu", None),
        ("ünï@uni.edu", None),
        ("<script>@uni.edu", None),
        ("a@" + "b" * 64 + ".org", None),
        ("x" * 65 + "@uni.edu", None),
        ("", None),
    ],
)
def test_email_addresses(typed: str, kept: str | None) -> None:
    assert normalise_email(typed) == kept


@given(st.text(max_size=400))
def test_any_text_is_an_address_or_none(text: str) -> None:
    kept = normalise_email(text)
    if kept is not None:
        assert normalise_email(kept) == kept
        assert "@" in kept
        assert len(kept) <= 254


def test_the_allow_list_accepts_the_domain_and_its_subdomains(tmp_path: Path) -> None:
    config = FrontConfig(state_dir=tmp_path, allowed_domains=("uni.edu",))
    assert config.refusal("a@uni.edu") is None
    assert config.refusal("a@cs.uni.edu") is None
    assert config.refusal("a@evil-uni.edu") is not None
    assert config.refusal("a@uni.edu.evil.org") is not None


@pytest.mark.parametrize(
    ("kwargs", "flag"),
    [
        ({"ttl_days": 0}, "--ttl-days"),
        ({"ttl_days": float("inf")}, "--ttl-days"),
        ({"ttl_days": 1e9}, "--ttl-days"),
        ({"requests_per_minute": 0}, "--access-rate"),
        ({"requests_per_minute": float("inf")}, "--access-rate"),
        ({"public_url": "ftp://x"}, "--public-url"),
        ({"public_url": "https://x/?a=1"}, "--public-url"),
        ({"allowed_domains": ("..",)}, "--allow-domain"),
    ],
)
def test_bad_settings_name_their_flag(tmp_path: Path, kwargs: dict[str, object], flag: str) -> None:
    with pytest.raises(UsageError, match=flag):
        FrontConfig(state_dir=tmp_path, **kwargs)  # type: ignore[arg-type]


def test_csrf_fields_belong_to_their_cookie_only() -> None:
    tokens = CsrfTokens(b"k" * 32)
    cookie = tokens.new_cookie()
    field = tokens.field_for(cookie)
    assert tokens.valid(cookie, field)
    assert not tokens.valid(tokens.new_cookie(), field)
    assert not tokens.valid(cookie, field[:-1] + ("1" if field.endswith("0") else "0"))  # one digit changed
    assert not tokens.valid(None, field)
    assert not tokens.valid(cookie, "ü")
    assert not CsrfTokens(b"o" * 32).valid(cookie, field)
    assert "kkkk" not in repr(tokens)


def test_the_rate_limit_refills_with_time() -> None:
    now = [0.0]
    limiter = RateLimiter(rate_per_minute=6, burst=2, clock=lambda: now[0])
    assert limiter.check("1.2.3.4") is None
    assert limiter.check("1.2.3.4") is None
    assert limiter.check("1.2.3.4") == 10  # one token every 10 s
    assert limiter.check("5.6.7.8") is None  # another address has its own bucket
    now[0] += 10
    assert limiter.check("1.2.3.4") is None


def test_the_rate_limit_forgets_the_oldest_addresses() -> None:
    limiter = RateLimiter(rate_per_minute=1, burst=1, clock=lambda: 0.0, max_clients=3)
    for address in ("a", "b", "c", "d"):
        assert limiter.check(address) is None
    assert limiter.check("a") is None  # forgotten, so a fresh bucket
    assert limiter.check("d") is not None
