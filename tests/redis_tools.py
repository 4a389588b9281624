"""Server-wide reads for tests that run on a single Redis and on a Cluster alike: a cluster
client sends these to one node unless told to ask every primary."""

from __future__ import annotations

from redis.asyncio import RedisCluster

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
