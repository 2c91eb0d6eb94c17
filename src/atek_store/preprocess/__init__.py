"""Raw Aria recordings into ATEK shards under the data store's preprocessing configurations.

The only part of atek-store that uses ``projectaria-tools`` (the ``preprocess`` extra); it is
imported when a sequence is opened, never at ``import atek_store``.
"""

import typing

from atek_store import _lazy

# Public name -> the module that defines it; imported on first use (see atek_store._lazy).
_LAZY: dict[str, str] = {
    "CategoryMapping": "atek_store.preprocess.category_mapping",
    "ManyResult": "atek_store.preprocess.many",
    "PreprocessConfig": "atek_store.preprocess.config",
    "RawSequencePaths": "atek_store.preprocess.paths",
    "SequenceOutcome": "atek_store.preprocess.many",
    "SequenceResult": "atek_store.preprocess.pipeline",
    "find_raw_paths": "atek_store.preprocess.paths",
    "find_sequences": "atek_store.preprocess.many",
    "load_category_mapping": "atek_store.preprocess.category_mapping",
    "load_config": "atek_store.preprocess.config",
    "parse_config": "atek_store.preprocess.config",
    "preprocess_many": "atek_store.preprocess.many",
    "preprocess_sequence": "atek_store.preprocess.pipeline",
}

if typing.TYPE_CHECKING:
    from atek_store.preprocess.category_mapping import CategoryMapping, load_category_mapping
    from atek_store.preprocess.config import PreprocessConfig, load_config, parse_config
    from atek_store.preprocess.many import ManyResult, SequenceOutcome, find_sequences, preprocess_many
    from atek_store.preprocess.paths import RawSequencePaths, find_raw_paths
    from atek_store.preprocess.pipeline import SequenceResult, preprocess_sequence
else:
    __getattr__, __dir__ = _lazy.attach(__name__, _LAZY)

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
