"""Hosting a data store: publish a folder of shards as a URL JSON, serve it, or upload it to S3.

Nothing here imports aiohttp or boto3 at import time; they are needed only to serve or to use S3.
"""

import typing

from atek_store import _lazy

# Public name -> the module that defines it; imported on first use (see atek_store._lazy).
_LAZY: dict[str, str] = {
    "FrontConfig": "atek_store.store.front.policy",
    "PublishReport": "atek_store.store.publish",
    "ServerConfig": "atek_store.store.server",
    "ShardDigest": "atek_store.store.shardcheck",
    "StoreServer": "atek_store.store.server",
    "StoreShard": "atek_store.store.layout",
    "UrlSigner": "atek_store.store.signing",
    "digest_shard": "atek_store.store.shardcheck",
    "discover_shards": "atek_store.store.layout",
    "publish_store": "atek_store.store.publish",
    "serve_store": "atek_store.store.server",
    "start_store_server": "atek_store.store.server",
}

if typing.TYPE_CHECKING:
    from atek_store.store.front.policy import FrontConfig
    from atek_store.store.layout import StoreShard, discover_shards
    from atek_store.store.publish import PublishReport, publish_store
    from atek_store.store.server import ServerConfig, StoreServer, serve_store, start_store_server
    from atek_store.store.shardcheck import ShardDigest, digest_shard
    from atek_store.store.signing import UrlSigner
else:
    __getattr__, __dir__ = _lazy.attach(__name__, _LAZY)

__all__ = [
    "FrontConfig",
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
