"""Moved to :mod:`atek_store.http` (one HTTP layer for downloads and streaming).

This alias keeps code written before the move importing; import from ``atek_store.http`` instead.
"""

from __future__ import annotations

from atek_store.http import FileTransport, HttpTransport, RoutingTransport, Transport, redact_url

__all__ = ["FileTransport", "HttpTransport", "RoutingTransport", "Transport", "redact_url"]
