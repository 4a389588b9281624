"""What only a Redis Cluster checks: scripts whose keys span slots are refused, so every key one
commit touches must share the learner's slot, while learners spread over every primary."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import RedisCluster
from redis.exceptions import RedisClusterException, RedisError, ResponseError

from bot.domain.events import Actor
from bot.storage.client import RedisSettingsError, connect
from bot.storage.keys import KeyBuilder
from bot.storage.local_cluster import LocalCluster, free_cluster_port, slot_ranges
from tests.processes import SUITE_REDIS_TIMEOUT_S


@pytest.fixture
async def cluster(redis_cluster_url: str):
    client = await connect(redis_cluster_url, cluster=True, timeout_s=SUITE_REDIS_TIMEOUT_S)
    await client.flushall()
    yield client
    await client.aclose()


async def test_the_cluster_would_catch_a_cross_slot_script(cluster) -> None:
    # Sent straight to the nodes, past redis-py's own check, to see the server refuse it.
    with pytest.raises(ResponseError, match="same slot"):
        await cluster.execute_command(
            "EVAL", "return 1", 2, "tutorbot:{a}:x", "tutorbot:{b}:x", target_nodes=cluster.get_primaries()
        )


def test_the_suite_cluster_has_three_primaries_sharing_every_slot(redis_cluster: LocalCluster) -> None:
    assert [node.slots for node in redis_cluster.nodes] == slot_ranges(3)
    assert slot_ranges(3) == [(0, 5460), (5461, 10922), (10923, 16383)]  # as redis-cli --cluster create


async def test_a_learners_keys_share_a_slot_and_learners_spread_over_every_node(
    cluster: RedisCluster, redis_cluster: LocalCluster
) -> None:
    keys = KeyBuilder()
    nodes = set()
    for n in range(30):
        learner = Actor(platform="slack", tenant="T1", user=f"U{n}")
        own = [
            keys.state(learner),
            keys.log(learner),
            keys.lab(learner, "lab-a:2"),
            keys.quarantine(learner, 1),
            keys.posted_card(learner, "D1", "1.2"),
        ]
        assert len({cluster.keyslot(key) for key in own}) == 1
        nodes.add(redis_cluster.node_for_key(keys.state(learner)).port)
    assert nodes == {node.port for node in redis_cluster.nodes}


async def test_cluster_settings_that_cannot_work_are_named() -> None:
    with pytest.raises(RedisSettingsError, match="redis:// or rediss://"):
        await connect("unix:///tmp/redis.sock", cluster=True)
    with pytest.raises(RedisSettingsError, match="database 0"):
        await connect("redis://cache.example:6379/2", cluster=True)


async def test_the_suite_cluster_refuses_a_client_without_the_acl_password(redis_cluster) -> None:
    anonymous = f"redis://127.0.0.1:{redis_cluster.nodes[0].port}"
    with pytest.raises(RedisClusterException, match="authenticated"):
        client = await connect(anonymous, cluster=True)
        await client.aclose()


@pytest.mark.parametrize("cluster", [False, True], ids=["single", "cluster"])
async def test_a_rediss_url_speaks_tls_to_the_node_it_names(cluster: bool) -> None:
    first_bytes: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    async def listener(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not first_bytes.done():
            first_bytes.set_result(await reader.read(3))
        writer.close()

    server = await asyncio.start_server(listener, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with pytest.raises((RedisError, RedisClusterException)):
        client = await connect(f"rediss://tutor:s3cret@127.0.0.1:{port}", cluster=cluster)
        try:
            await client.ping()
        finally:
            await client.aclose()
    server.close()
    # A TLS handshake record (0x16, version 3.x), not a Redis command in the clear.
    assert (await asyncio.wait_for(first_bytes, 5))[:2] == b"\x16\x03"


async def test_the_runtime_uses_a_cluster_client_when_told_to(redis_cluster_url, monkeypatch) -> None:
    from bot.domain.events import Command
    from bot.domain.outbox import CollectingOutbox
    from bot.runtime import open_runtime
    from bot.settings import Settings

    settings = Settings(redis_url=redis_cluster_url, redis_cluster=True, anthropic_api_key=None)
    async with open_runtime(settings) as runtime:
        assert isinstance(runtime.redis, RedisCluster)
        learner = Actor(platform="slack", tenant="T9", user="U9")
        outbox = CollectingOutbox()
        await runtime.engine.handle(Command(actor=learner, name="start"), outbox)
        assert outbox.take()[0].heading.startswith("Welcome")
        assert (await runtime.store.load(learner)) is not None


async def test_an_unreachable_cluster_is_named_without_its_password() -> None:
    from bot.runtime import open_runtime
    from bot.settings import Settings

    port = free_cluster_port()
    settings = Settings(redis_url=f"redis://tutor:hunter2-secret@127.0.0.1:{port}", redis_cluster=True)
    with pytest.raises(SystemExit) as stopped:
        async with open_runtime(settings):
            pass
    message = str(stopped.value)
    assert f"127.0.0.1:{port}" in message and "hunter2-secret" not in message


async def test_cluster_without_a_url_is_refused_with_a_clear_message() -> None:
    from bot.runtime import open_runtime
    from bot.settings import Settings

    with pytest.raises(SystemExit, match="REDIS_URL"):
        async with open_runtime(Settings(redis_url="", redis_cluster=True)):
            pass
