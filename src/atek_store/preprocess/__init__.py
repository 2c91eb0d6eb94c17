"""Raw Aria recordings into ATEK shards under the data store's preprocessing configurations.

The only part of atek-store that uses ``projectaria-tools`` (the ``preprocess`` extra); it is
imported when a sequence is opened, never at ``import atek_store``.
"""

from __future__ import annotations

from atek_store.preprocess.categories import CategoryMapping, load_category_mapping
from atek_store.preprocess.config import PreprocessConfig, load_config, parse_config
from atek_store.preprocess.many import ManyResult, SequenceOutcome, find_sequences, preprocess_many
from atek_store.preprocess.paths import RawSequencePaths, find_raw_paths
from atek_store.preprocess.pipeline import SequenceResult, preprocess_sequence

__all__ = [
    "CategoryMapping",
    "ManyResult",
    "PreprocessConfig",
    "RawSequencePaths",
    "SequenceOutcome",
    "SequenceResult",
    "find_raw_paths",
    "find_sequences",
    "load_category_mapping",
    "load_config",
    "parse_config",
    "preprocess_many",
    "preprocess_sequence",
]
