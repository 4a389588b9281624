import redis.asyncio as aioredis

from bot.storage.embedded import EmbeddedRedis


async def test_embedded_server_keeps_data_across_restart(tmp_path):
    with EmbeddedRedis(tmp_path) as server:
        client = aioredis.from_url(server.url)
        await client.set("k", "v")
        await client.aclose()
    with EmbeddedRedis(tmp_path) as server:
        client = aioredis.from_url(server.url)
        assert await client.get("k") == b"v"
        await client.aclose()
