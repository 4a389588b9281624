"""The one place a Redis client is built: a single server, or a Redis Cluster named by any node.

Every component (learner store, de-duplication, budgets, posted cards, …) takes an `AsyncRedis`
and works on either, because every Lua script keeps its keys in one hash slot and every read
that spans slots is a pipeline, which a cluster client splits per node.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from redis.asyncio import BlockingConnectionPool, Redis, RedisCluster
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ClusterDownError, RedisClusterException, TimeoutError
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.storage.base import StoreUnavailable
from bot.storage.cluster_client import WaitingRedisCluster

AsyncRedis = Redis | RedisCluster

CLUSTER_SCHEMES = ("redis", "rediss")

# What redis-py raises while a server or a cluster node is away: refused or dropped connections,
# timeouts, a node still loading its data (BusyLoadingError is a ConnectionError), a cluster
# with slots nobody serves, and a cluster client that could reach no node at all.
UNREACHABLE = (RedisConnectionError, TimeoutError, ClusterDownError, RedisClusterException)


class RedisSettingsError(ValueError):
    """`REDIS_URL` / `REDIS_CLUSTER` that cannot work together; the message says why."""


DEFAULT_TIMEOUT_S = 2.0


class ServerPool(BlockingConnectionPool):
    """redis-py's blocking pool, which also opens again a connection the server has closed
    before handing it out.

    redis-py checks a connection it hands out for unread data or a closed stream, but skips
    that check while maintenance notifications are on, and they are ("auto") on every TCP
    connection speaking RESP3, redis-py's default: after a Redis restart, every connection
    the pool held would fail its next command ("Connection closed by server"), and the learner
    whose event it carried be told the course is unavailable, once per stale connection.
    A closed stream holds no notification to keep, so opening it again is always right."""

    async def ensure_connection(self, connection: AbstractConnection) -> None:
        stream = connection._reader
        if stream is not None and stream.at_eof():
            await connection.disconnect()
        await super().ensure_connection(connection)


async def connect(
    url: str, *, cluster: bool = False, max_connections: int = 64, timeout_s: float = DEFAULT_TIMEOUT_S
) -> AsyncRedis:
    """A client for `url` (`redis://`, `rediss://` for TLS, `unix://`; user and password in the
    URL for ACLs).

    A single-server client's pool waits for a free connection instead of failing under load.
    A cluster client discovers every node from the one named before it is returned, and keeps
    up to `max_connections` connections per node; it too waits for a free one (see
    `cluster_client.py`).

    Every call waits at most `timeout_s` to connect and `timeout_s` for its reply, then raises
    a `TimeoutError` (one of `UNREACHABLE`): a hung server is then "briefly unavailable", never
    a click that waits for ever. A cluster client tries a timed-out command once more (after
    finding the nodes again, for a failover), not redis-py's three times.
    """
    timeouts: dict[str, Any] = {"socket_timeout": timeout_s, "socket_connect_timeout": timeout_s}
    if not cluster:
        pool = ServerPool.from_url(url, max_connections=max_connections, timeout=20, **timeouts)
        return Redis.from_pool(pool)  # the client owns the pool and closes it
    parts = urlsplit(url)
    if parts.scheme not in CLUSTER_SCHEMES:
        raise RedisSettingsError(
            f"REDIS_CLUSTER=true needs a redis:// or rediss:// REDIS_URL naming a cluster node, "
            f"not {parts.scheme or 'an empty'} URL"
        )
    if parts.path.strip("/") not in ("", "0"):
        raise RedisSettingsError("a Redis Cluster has only database 0: drop the /N from REDIS_URL")
    retry = Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), retries=1)
    client = WaitingRedisCluster.from_url(url, max_connections=max_connections, retry=retry, **timeouts)
    # Discover the nodes now, once: redis-py (8.1) left to discover them lazily under many
    # concurrent first commands can fail some of them and run others twice.
    try:
        await client.initialize()
    except BaseException:
        await client.aclose()
        raise
    return client


@contextmanager
def reachable(what: str) -> Iterator[None]:
    """Turns redis-py's "cannot reach the server" errors into `StoreUnavailable` naming `what`."""
    try:
        yield
    except UNREACHABLE as exc:
        raise StoreUnavailable(f"{what}: {type(exc).__name__}: {exc}") from exc


def is_cluster(client: AsyncRedis) -> bool:
    return isinstance(client, RedisCluster)


def redacted(url: str) -> str:
    """`url` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = f"{parts.username}:***@" if parts.username else "***@"
    host = parts.hostname or ""
    netloc = f"{user}{host}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()
