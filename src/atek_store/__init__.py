"""atek-store: an open, fast and trustworthy implementation of the ATEK Data Store.

The public API is declared here once (sorted ``__all__``, checked by ``tests/test_exported_members.py``).
"""

from __future__ import annotations

from atek_store.preprocess import PreprocessConfig, preprocess_many, preprocess_sequence
from atek_store.preprocess import load_config as load_preprocess_config

__version__ = "0.1.0"

__all__ = [
    "PreprocessConfig",
    "__version__",
    "load_preprocess_config",
    "preprocess_many",
    "preprocess_sequence",
]
