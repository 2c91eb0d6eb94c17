"""The stages one reader chains, one per module.

Shards in the global order (``lane``, ``source``) -> ``decode`` -> ``select`` keys -> ``transform``
-> ``batch``, and ``epochs`` repeats the chain epoch after epoch. Each keeps the :class:`Stage`
contract.
"""

from __future__ import annotations

from atek_store.loading.stages.base import Stage, StageState, innermost

__all__ = ["Stage", "StageState", "innermost"]
