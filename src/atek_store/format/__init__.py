"""The ATEK WebDataset sample format: key grammar, decoding, encoding and shard writing."""

from __future__ import annotations

from atek_store.format.decode import decode_sample, load_tensor
from atek_store.format.encode import encode_jpeg, encode_sample, encode_tensor
from atek_store.format.limits import ReadLimits
from atek_store.format.schema import AtekSample, CameraFrames, SemidensePoints, Trajectory
from atek_store.format.shard import iter_shard
from atek_store.format.tario import RawSample, iter_raw_samples, iter_tar_members
from atek_store.format.writer import ShardRecord, ShardWriter, shard_name

__all__ = [
    "AtekSample",
    "CameraFrames",
    "RawSample",
    "ReadLimits",
    "ShardRecord",
    "SemidensePoints",
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
