"""Server-wide reads for tests that run on a single Redis and on a Cluster alike: a cluster
client sends these to one node unless told to ask every primary."""

from __future__ import annotations

from typing import Any

import hiredis
from redis.asyncio import Redis, RedisCluster

from bot.storage.client import AsyncRedis


async def all_keys(client: AsyncRedis, pattern: str = "*") -> list[bytes]:
    if isinstance(client, RedisCluster):
        found: list[bytes] = await client.keys(pattern, target_nodes=RedisCluster.PRIMARIES)
        return found
    return await client.keys(pattern)


async def reset_stats(client: AsyncRedis) -> None:
    if isinstance(client, RedisCluster):
        await client.config_resetstat(target_nodes=RedisCluster.PRIMARIES)
    else:
        await client.config_resetstat()


async def command_stats(client: AsyncRedis) -> dict[str, dict[str, int]]:
    """INFO commandstats of the server, or summed over a cluster's primaries."""
    if not isinstance(client, RedisCluster):
        return await client.info("commandstats")  # type: ignore[no-any-return]
    per_node = await client.info("commandstats", target_nodes=RedisCluster.PRIMARIES)
    total: dict[str, dict[str, int]] = {}
    for stats in per_node.values():
        for name, figures in stats.items():
            total.setdefault(name, {"calls": 0})["calls"] += figures["calls"]
    return total


def watch_round_trips(client: AsyncRedis) -> list[list[str]]:
    """The names of the commands in each round trip `client` makes from now on, in order.

    On a single server, each write to a connection, read off the bytes on the wire (the store's
    batches are written straight to a connection, and a write's replies are read before the
    connection is used again). On a cluster, each pipeline and each lone command the client sends.
    """
    trips: list[list[str]] = []
    if isinstance(client, Redis):
        pool = client.connection_pool
        get = pool.get_connection

        def watch(connection: Any) -> Any:
            # The one write every command and batch makes, whether sent by the client itself
            # (`send_packed_command`) or by a pipeline that keeps its connection between batches.
            if not getattr(connection, "watched", False):
                send = connection._send_packed_command

                async def counted(command: Any, *a: Any, **o: Any) -> Any:
                    reader = hiredis.Reader()
                    reader.feed(command if isinstance(command, bytes) else b"".join(command))
                    trips.append([sent[0].decode().upper() for sent in iter(reader.gets, False)])
                    return await send(command, *a, **o)

                connection._send_packed_command = counted
                connection.watched = True
            return connection

        async def watched(*args: Any, **options: Any) -> Any:
            return watch(await get(*args, **options))

        for connection in [*pool._available_connections, *pool._in_use_connections]:
            watch(connection)
        pool.get_connection = watched  # type: ignore[method-assign]
        return trips

    make, execute = client.pipeline, client.execute_command

    def watched_pipeline(*args: Any, **options: Any) -> Any:
        pipe = make(*args, **options)
        run, queue = pipe.execute, pipe.execute_command
        queued: list[str] = []

        def queuing(*a: Any, **o: Any) -> Any:
            queued.append(str(a[0]).upper())
            return queue(*a, **o)

        async def counted(*a: Any, **o: Any) -> Any:
            trips.append(list(queued))
            return await run(*a, **o)

        pipe.execute_command, pipe.execute = queuing, counted  # type: ignore[method-assign]
        return pipe

    async def alone(*args: Any, **options: Any) -> Any:
        trips.append([str(args[0]).upper()])
        return await execute(*args, **options)

    client.pipeline, client.execute_command = watched_pipeline, alone  # type: ignore[method-assign]
    return trips
