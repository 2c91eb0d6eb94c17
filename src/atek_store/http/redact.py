"""Keep secrets out of every URL we show: query signatures and ``user:password@`` credentials.

Signed CDN URLs carry their credentials in the query string (``Signature=``, ``X-Amz-Credential=``
...), and a user may put ``user:password@`` in a URL. Neither may reach a message, a log line or
``download_report.json``: :func:`redact_url` is applied to every URL shown, and
:func:`redact_text` cleans a message that a library (urllib3, the OS) wrote around a URL.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["redact_text", "redact_url"]

HIDDEN = "…"
# Anything that looks like an absolute URL inside free text; it ends at whitespace or a quote.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")


def redact_url(url: str) -> str:
    """``url`` with its query, fragment and credentials replaced by ``…``.

    ``https://user:pw@cdn/x.tar?Signature=s`` becomes ``https://…@cdn/x.tar?…``; a URL without
    secrets comes back unchanged.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        # Not parseable as a URL (an unbalanced IPv6 bracket...): show nothing after the path.
        return url.split("?", 1)[0].split("#", 1)[0]
    netloc = parts.netloc
    if "@" in netloc:
        netloc = HIDDEN + "@" + netloc.rsplit("@", 1)[1]
    return parts._replace(
        netloc=netloc,
        query=HIDDEN if parts.query else "",
        fragment=HIDDEN if parts.fragment else "",
    ).geturl()


def redact_text(text: str, *urls: str) -> str:
    """``text`` with every URL in it redacted, and the secrets of ``urls`` removed wherever they appear.

    Library messages sometimes quote a URL's path and query apart from its host
    (``...with url: /x.tar?Signature=s``); naming the URL lets those pieces be found too.
    """
    text = _URL_IN_TEXT.sub(lambda match: redact_url(match.group(0)), text)
    for url in urls:
        try:
            parts = urlsplit(url)
        except ValueError:
            continue
        secrets = [parts.query, parts.fragment]
        if "@" in parts.netloc:
            secrets.append(parts.netloc.rsplit("@", 1)[0])
        for secret in secrets:
            if secret:
                text = text.replace(secret, HIDDEN)
    return text
