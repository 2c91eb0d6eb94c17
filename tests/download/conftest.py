"""Fixtures for the downloader's tests: a real loopback HTTP server with fault switches."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.download.fault_server import FaultServer


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """A fresh FaultServer on 127.0.0.1 (random port), stopped after the test."""
    with FaultServer() as server:
        yield server
