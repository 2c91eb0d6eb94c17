"""Hosting a data store: publish a folder of shards as a URL JSON, serve it, or upload it to S3.

Nothing here imports aiohttp or boto3 at import time; they are needed only to serve or to use S3.
"""

from __future__ import annotations

from atek_store.store.layout import StoreShard, discover_shards
from atek_store.store.publish import PublishReport, publish_store
from atek_store.store.server import ServerConfig, StoreServer, serve_store, start_store_server
from atek_store.store.shardcheck import ShardDigest, digest_shard
from atek_store.store.signing import UrlSigner

__all__ = [
    "PublishReport",
    "ServerConfig",
    "ShardDigest",
    "StoreServer",
    "StoreShard",
    "UrlSigner",
    "digest_shard",
    "discover_shards",
    "publish_store",
    "serve_store",
    "start_store_server",
]
