"""CSRF protection of the access form: a cookie and a form field that must agree.

The dataset page sets a random ``atek_csrf`` cookie (HttpOnly, SameSite=Strict) and puts
``HMAC(key, cookie)`` in the form. A post is accepted only when its field matches its cookie: a
page on another site can make a browser post the form, but cannot read or set our cookie, so it
cannot produce the matching field. The key is derived from the signing secret and never shown.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["COOKIE", "FIELD", "CsrfTokens"]

COOKIE = "atek_csrf"
FIELD = "csrf_token"
_MAX_COOKIE = 100


class CsrfTokens:
    """Make and check the cookie / form-field pairs."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __repr__(self) -> str:
        return "CsrfTokens(key=<hidden>)"

    @staticmethod
    def new_cookie() -> str:
        """A fresh random cookie value."""
        return secrets.token_urlsafe(24)

    @staticmethod
    def usable(cookie: str | None) -> bool:
        """Whether a cookie sent back looks like one of ours (else a fresh one is set)."""
        return bool(cookie) and len(cookie or "") <= _MAX_COOKIE and (cookie or "").isascii()

    def field_for(self, cookie: str) -> str:
        """The form field that goes with ``cookie``."""
        return hmac.new(self._key, cookie.encode("ascii", "replace"), hashlib.sha256).hexdigest()

    def valid(self, cookie: str | None, field: str | None) -> bool:
        """Whether a post's cookie and field belong together."""
        if not self.usable(cookie) or not field or not field.isascii() or cookie is None:
            return False
        return hmac.compare_digest(self.field_for(cookie), field)
