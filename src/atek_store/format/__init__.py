"""The ATEK WebDataset sample format: key grammar, decoding, encoding and shard writing."""

import typing

from atek_store import _lazy

# Public name -> the module that defines it; imported on first use (see atek_store._lazy).
_LAZY: dict[str, str] = {
    "AtekSample": "atek_store.format.schema",
    "CameraFrames": "atek_store.format.schema",
    "RawSample": "atek_store.format.tario",
    "ReadLimits": "atek_store.format.limits",
    "SemidensePoints": "atek_store.format.schema",
    "ShardRecord": "atek_store.format.writer",
    "ShardWriter": "atek_store.format.writer",
    "Trajectory": "atek_store.format.schema",
    "decode_sample": "atek_store.format.decode",
    "encode_jpeg": "atek_store.format.encode",
    "encode_sample": "atek_store.format.encode",
    "encode_tensor": "atek_store.format.encode",
    "iter_raw_samples": "atek_store.format.tario",
    "iter_shard": "atek_store.format.shard",
    "iter_tar_members": "atek_store.format.tario",
    "load_tensor": "atek_store.format.decode",
    "shard_name": "atek_store.format.writer",
}

if typing.TYPE_CHECKING:
    from atek_store.format.decode import decode_sample, load_tensor
    from atek_store.format.encode import encode_jpeg, encode_sample, encode_tensor
    from atek_store.format.limits import ReadLimits
    from atek_store.format.schema import AtekSample, CameraFrames, SemidensePoints, Trajectory
    from atek_store.format.shard import iter_shard
    from atek_store.format.tario import RawSample, iter_raw_samples, iter_tar_members
    from atek_store.format.writer import ShardRecord, ShardWriter, shard_name
else:
    __getattr__, __dir__ = _lazy.attach(__name__, _LAZY)

__all__ = [
    "AtekSample",
    "CameraFrames",
    "RawSample",
    "ReadLimits",
    "SemidensePoints",
    "ShardRecord",
    "ShardWriter",
    "Trajectory",
    "decode_sample",
    "encode_jpeg",
    "encode_sample",
    "encode_tensor",
    "iter_raw_samples",
    "iter_shard",
    "iter_tar_members",
    "load_tensor",
    "shard_name",
]
