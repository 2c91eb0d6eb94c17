"""Who may get access, and how: the store front's configuration, checked up front.

An email address is an identity claim, not a proof: the front sends no mail. A lab that must know
who downloads uses ``approval=manual`` (every request waits for ``atek-store access approve``)
and/or an allow-list of email domains.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from atek_store.errors import UsageError
from atek_store.store.signing import MAX_TTL_DAYS

__all__ = ["Approval", "FrontConfig", "normalise_email"]

# local@domain: a pragmatic subset of RFC 5321 (what universities and companies hand out).
# No nested quantifiers: the match time is linear in the length.
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_MAX_EMAIL = 254
_DOMAIN = re.compile(r"[A-Za-z0-9.-]{1,253}")


class Approval(str, enum.Enum):
    """How a request becomes a grant."""

    AUTO = "auto"  # at once, if the email passes the domain allow-list
    MANUAL = "manual"  # pending until `atek-store access approve GRANT`


def normalise_email(value: str) -> str | None:
    """The address with its domain lower-cased, or None if it is not a plausible email address."""
    text = value.strip()
    if not text or len(text) > _MAX_EMAIL or not text.isascii():
        return None
    local, at, domain = text.rpartition("@")
    if not at or not _LOCAL.fullmatch(local) or local.startswith(".") or local.endswith(".") or ".." in local:
        return None
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        return None
    return f"{local}@{domain.lower()}"


def _domain_allowed(email: str, domains: tuple[str, ...]) -> bool:
    domain = email.rpartition("@")[2]
    return any(domain == allowed or domain.endswith("." + allowed) for allowed in domains)


@dataclass(frozen=True)
class FrontConfig:
    """The store front's settings (``atek-store serve --state ...``).

    Attributes:
        state_dir: the SQLite state folder (grants, audit, the secret when none is given).
        public_url: the URL users reach the server at (behind TLS: ``https://data.lab.org``);
            the URLs in the JSON start with it. Default: the address the server listens on.
        ttl_days: how long the URLs of an issued JSON stay valid.
        approval: ``auto`` or ``manual``.
        allowed_domains: email domains accepted (subdomains too); empty: any.
        requests_per_minute: access-form posts accepted per client address and minute.
        trust_forwarded: take the client address from ``X-Forwarded-For`` (set it only behind a
            reverse proxy that sets that header).
        previews: make the configuration pages' previews (a child process that needs torch).
        requests_per_grant: file requests one grant may have in flight (more get 429 and retry).

    Raises:
        UsageError: a value is out of range (the message names the flag).
    """

    state_dir: Path
    public_url: str | None = None
    ttl_days: float = 30.0
    approval: Approval = Approval.AUTO
    allowed_domains: tuple[str, ...] = ()
    requests_per_minute: float = 10.0
    trust_forwarded: bool = False
    previews: bool = True
    requests_per_grant: int = 16

    def __post_init__(self) -> None:
        if not 0 < self.ttl_days <= MAX_TTL_DAYS:
            # Checked at start: a huge value would only fail when the first JSON is issued.
            raise UsageError(
                f"--ttl-days {self.ttl_days} must be more than 0 and at most {MAX_TTL_DAYS:g}",
                flag="--ttl-days",
            )
        if not (self.requests_per_minute > 0 and math.isfinite(self.requests_per_minute)):
            raise UsageError(
                f"--access-rate {self.requests_per_minute} must be a positive number", flag="--access-rate"
            )
        if self.public_url is not None:
            parts = urlsplit(self.public_url)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
                raise UsageError(
                    f"--public-url {self.public_url!r} must be an http(s) URL without query, "
                    "e.g. https://data.lab.org",
                    flag="--public-url",
                )
        if self.requests_per_grant < 1:
            raise UsageError(
                f"--downloads-per-grant {self.requests_per_grant} must be at least 1",
                flag="--downloads-per-grant",
            )
        for domain in self.allowed_domains:
            if not _DOMAIN.fullmatch(domain) or domain.startswith(".") or ".." in domain:
                raise UsageError(
                    f"--allow-domain {domain!r} is not a domain name (e.g. uni.edu)", flag="--allow-domain"
                )

    @property
    def ttl_seconds(self) -> int:
        """How long issued URLs stay valid, in seconds."""
        return int(round(self.ttl_days * 86400))

    def refusal(self, email: str) -> str | None:
        """Why an (already normalised) email cannot request access, or None."""
        if self.allowed_domains and not _domain_allowed(
            email, tuple(d.lower() for d in self.allowed_domains)
        ):
            listing = ", ".join(self.allowed_domains)
            return f"this store gives access to addresses of these domains only: {listing}"
        return None
