"""A Redis Cluster client that waits for a free connection instead of failing.

redis-py's `RedisCluster` (8.1) keeps at most `max_connections` connections per node and raises
`MaxConnectionsError` at once when a command finds them all busy: a burst of learners larger than
the pool would be told the course is unavailable. It has no blocking pool to choose. Here every
command and pipeline first takes one of `max_connections` permits, waiting up to `wait_s` for
one. Each holder uses at most one connection per node at a time (a pipeline sends each node its
share over one connection), so no node's pool can run dry while permits are held.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from redis.asyncio import RedisCluster
from redis.asyncio.cluster import ClusterPipeline
from redis.exceptions import MaxConnectionsError, RedisClusterException

DEFAULT_WAIT_S = 20.0

_holding: ContextVar[bool] = ContextVar("holding_a_cluster_permit", default=False)
"""Set while a command or pipeline of this task holds a permit: a pipeline re-sends redirected
commands one by one from inside its own `execute`, and those must not wait for a second permit."""


class WaitingRedisCluster(RedisCluster):
    def __init__(self, *, max_connections: int = 100, wait_s: float = DEFAULT_WAIT_S, **kwargs: Any) -> None:
        super().__init__(max_connections=max_connections, **kwargs)
        self.max_connections = max_connections
        self.wait_s = wait_s
        self._permits = asyncio.Semaphore(max_connections)

    @asynccontextmanager
    async def permit(self) -> AsyncIterator[None]:
        """Hold one of the client's permits (at once when one is free)."""
        if _holding.get():
            yield
            return
        if self._permits.locked():
            try:
                async with asyncio.timeout(self.wait_s):
                    await self._permits.acquire()
            except TimeoutError:
                raise MaxConnectionsError(
                    f"no free Redis Cluster connection within {self.wait_s:g} s "
                    f"({self.max_connections} per node)"
                ) from None
        else:
            await self._permits.acquire()  # free: returns without suspending
        token = _holding.set(True)
        try:
            yield
        finally:
            _holding.reset(token)
            self._permits.release()

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        async with self.permit():
            return await super().execute_command(*args, **kwargs)

    def pipeline(self, transaction: Any | None = None, shard_hint: Any | None = None) -> ClusterPipeline:
        if shard_hint:
            raise RedisClusterException("shard_hint is deprecated in cluster mode")
        # redis-py builds its own pipelines the same way; mypy takes a slot it fills in __init__
        # for an abstract attribute.
        return _WaitingPipeline(self, transaction)  # type: ignore[abstract]


class _WaitingPipeline(ClusterPipeline):
    cluster_client: WaitingRedisCluster

    async def execute(self, raise_on_error: bool = True, allow_redirections: bool = True) -> list[Any]:
        async with self.cluster_client.permit():
            return await super().execute(raise_on_error, allow_redirections)
