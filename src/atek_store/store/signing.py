"""Signed, expiring store URLs: an HMAC over the shard's path and the expiry time.

A signed URL is ``<base>/<config>/<sequence>/shards-NNNN.tar?Expires=<unix seconds>&Signature=<mac>``
where ``mac`` is HMAC-SHA256, keyed with the store's secret, over a versioned message holding the
store-relative path and the expiry, written in unpadded URL-safe base64. A URL handed to one
requester by the store front also carries ``Grant=<grant id>``, bound into the MAC (message
version 2), so the server knows whose grant a request uses and can refuse a revoked one; the
grant cannot be swapped for another without breaking the signature. The path signed is the
one below the store root (no leading '/'), so a reverse proxy that mounts the store under a prefix
does not break signatures. The server recomputes the MAC and compares in constant time, then
checks the expiry: a URL whose signature matches but whose time has passed is "expired", any
other mismatch is "invalid" (altered, or signed with another secret).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import re
from urllib.parse import urlencode

from atek_store.errors import SignatureError, UsageError

__all__ = [
    "EXPIRES_PARAM",
    "GRANT_ID",
    "GRANT_PARAM",
    "MAX_TTL_DAYS",
    "SIGNATURE_PARAM",
    "UrlSigner",
]

_log = logging.getLogger(__name__)

EXPIRES_PARAM = "Expires"
SIGNATURE_PARAM = "Signature"
GRANT_PARAM = "Grant"
_VERSION = b"atek-store-url-v1"
_VERSION_GRANT = b"atek-store-url-v2"
#: What a grant id looks like (the front makes them from 8 random bytes, in hex).
GRANT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
_EXPIRES = re.compile(r"[0-9]{1,12}")
_MIN_SECRET = 16
#: The longest validity a signed URL is given: ten years. Longer is not an expiry, and far longer
#: overflows the dates it is shown as (and the digits ``Expires`` may have).
MAX_TTL_DAYS = 3650.0


def _iso(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _age(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.0f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds:.0f} seconds"


class UrlSigner:
    """Sign store paths and check signed requests with one secret.

    Raises:
        UsageError: the secret is empty.
    """

    def __init__(self, secret: str) -> None:
        if not secret:
            raise UsageError("the URL signing secret is empty: give --secret or set ATEK_STORE_SECRET")
        if len(secret) < _MIN_SECRET:
            _log.warning(
                "the URL signing secret has fewer than %d characters; it is easy to guess", _MIN_SECRET
            )
        self._key = secret.encode("utf-8")

    def __repr__(self) -> str:
        # Never show the secret in logs or tracebacks.
        return "UrlSigner(secret=<hidden>)"

    def signature(self, path: str, expires: int, *, grant: str | None = None) -> str:
        """The signature of a store-relative ``path`` valid until ``expires`` (unix seconds).

        With ``grant``, the grant id is part of the signed message.
        """
        parts = [path.lstrip("/").encode("utf-8"), str(expires).encode("ascii")]
        version = _VERSION if grant is None else _VERSION_GRANT
        if grant is not None:
            parts.append(grant.encode("ascii"))
        mac = hmac.new(self._key, b"\n".join((version, *parts)), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")

    def key(self, purpose: str) -> bytes:
        """A key for another use (CSRF tokens...), derived from the secret and never equal to it."""
        return hmac.new(self._key, b"atek-store-key\n" + purpose.encode("ascii"), hashlib.sha256).digest()

    def query(self, path: str, expires: int, *, grant: str | None = None) -> str:
        """The query string (without '?') that signs ``path`` until ``expires`` (for ``grant``)."""
        fields = {GRANT_PARAM: grant} if grant is not None else {}
        fields[EXPIRES_PARAM] = str(expires)
        fields[SIGNATURE_PARAM] = self.signature(path, expires, grant=grant)
        return urlencode(fields)

    def sign_url(self, base_url: str, path: str, expires: int, *, grant: str | None = None) -> str:
        """``<base_url>/<path>?[Grant=...&]Expires=...&Signature=...`` for a store-relative ``path``."""
        return f"{base_url.rstrip('/')}/{path.lstrip('/')}?{self.query(path, expires, grant=grant)}"

    def verify(
        self,
        path: str,
        expires: str | None,
        signature: str | None,
        *,
        now: float,
        grant: str | None = None,
    ) -> int:
        """Check a request's signature parameters; return the expiry on success.

        ``grant`` is the request's ``Grant`` parameter (None when it has none).

        Raises:
            SignatureError: with ``reason`` ``"missing"``, ``"malformed"``, ``"invalid"`` or
                ``"expired"``, and a message that tells the client what to do.
        """
        if expires is None or signature is None:
            raise SignatureError(
                f"this store serves only signed URLs and the URL carries no {EXPIRES_PARAM}/"
                f"{SIGNATURE_PARAM} parameters; use the download_url from the store's URL JSON",
                reason="missing",
                path=path,
            )
        if not _EXPIRES.fullmatch(expires):
            raise SignatureError(
                f"the URL's {EXPIRES_PARAM} parameter {expires[:40]!r} is not a time stamp: the URL was "
                "damaged or altered; use the download_url from the URL JSON unchanged",
                reason="malformed",
                path=path,
            )
        if grant is not None and not GRANT_ID.fullmatch(grant):
            raise SignatureError(
                f"the URL's {GRANT_PARAM} parameter {grant[:40]!r} is not a grant id: the URL was damaged "
                "or altered; use the download_url from the URL JSON unchanged",
                reason="malformed",
                path=path,
            )
        expected = self.signature(path, int(expires), grant=grant).encode("ascii")
        if not hmac.compare_digest(expected, signature.encode("utf-8", "surrogateescape")):
            raise SignatureError(
                "the URL's signature does not match (invalid signature): the URL was altered "
                "(tampered) or signed with another secret; use the download_url from the URL JSON unchanged",
                reason="invalid",
                path=path,
            )
        deadline = int(expires)
        if now > deadline:
            raise SignatureError(
                f"the signed URL expired at {_iso(deadline)} ({_age(now - deadline)} ago); signed URLs "
                "are valid for a limited time: get a fresh URL JSON from the store's publisher",
                reason="expired",
                path=path,
                expired_at=deadline,
            )
        return deadline
