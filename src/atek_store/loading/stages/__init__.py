"""The stages one reader chains, one per module.

Shards in the global order (``lane``, ``source``) -> ``decode`` -> ``select`` keys -> ``transform``
-> ``batch``, and ``epochs`` repeats the chain epoch after epoch. Each keeps the :class:`Stage`
contract.
"""

import typing

from atek_store import _lazy

# Public name -> the module that defines it; imported on first use (see atek_store._lazy).
_LAZY: dict[str, str] = {
    "Chained": "atek_store.loading.stages.base",
    "Stage": "atek_store.loading.stages.base",
    "StageState": "atek_store.loading.stages.base",
    "innermost": "atek_store.loading.stages.base",
}

if typing.TYPE_CHECKING:
    from atek_store.loading.stages.base import Chained, Stage, StageState, innermost
else:
    __getattr__, __dir__ = _lazy.attach(__name__, _LAZY)

__all__ = ["Chained", "Stage", "StageState", "innermost"]
