"""atek-store: an open, fast and trustworthy implementation of the ATEK Data Store.

The public API is declared here once (sorted ``__all__``, checked by ``tests/test_exported_members.py``).
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "__version__",
]
