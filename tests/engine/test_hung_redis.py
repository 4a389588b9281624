"""A Redis that stops answering (hung, not gone): the learner's action is answered within the
client's timeout with the "briefly unavailable" path, and works again once Redis answers; a
step that may or may not have landed is neither lost nor doubled.

The clients come from `connect` (what the bot runs), with a short `timeout_s`; a single server
is hung by a proxy that swallows its replies, a Cluster primary by SIGSTOP."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.advisor.offline import OfflineAdvisor
from bot.course.models import Module
from bot.engine.engine import UNAVAILABLE_NOTICE, UNCERTAIN_NOTICE, Engine
from bot.storage.client import AsyncRedis, connect
from bot.storage.embedded import EmbeddedRedis
from bot.storage.keys import KeyBuilder
from bot.storage.local_cluster import LocalCluster
from bot.storage.redis_store import RedisLearnerStore
from tests.engine.driver import Learner
from tests.fakes.redis_proxy import RedisProxy

TIMEOUT_S = 0.5
KEYS = KeyBuilder("hung")
BOUND_S = 4 * TIMEOUT_S + 1.5
"""How long a learner may wait on a hung Redis: a single server answers after one timeout, a
cluster client after one more try (having found the nodes again); with room for a busy machine,
and far below redis-py's default of 5 s a call."""


async def timed(coroutine: object) -> float:
    started = time.monotonic()
    await asyncio.wait_for(coroutine, 30)  # type: ignore[arg-type]
    return time.monotonic() - started


async def hang_and_recover(module: Module, client: AsyncRedis, hang: object, resume: object) -> None:
    """A learner a few cards into lesson 1: Redis hangs, they press Continue and type resume; it
    comes back, and their step is where the record says, moved on at most once."""
    store = RedisLearnerStore(client, KEYS)
    learner = Learner(Engine(module, store, OfflineAdvisor()), user="u-hung")
    await learner.command("start")
    await learner.press("next")
    before = await store.load(learner.actor)
    assert before is not None

    hang()  # type: ignore[operator]
    try:
        took = await timed(learner.press("next"))
        assert learner.notices() == [UNCERTAIN_NOTICE], learner.shown
        assert took < BOUND_S, f"a click waited {took:.1f} s on a hung Redis"
        took = await timed(learner.command("resume"))
        assert learner.notices() == [UNAVAILABLE_NOTICE], learner.shown
        assert took < BOUND_S, f"resume waited {took:.1f} s on a hung Redis"
    finally:
        resume()  # type: ignore[operator]

    after = await store.load(learner.actor)
    assert after is not None and after.rev in (before.rev, before.rev + 1)  # landed once, or not
    await learner.command("resume")
    assert not learner.notices()
    shown = learner.shown[0].heading
    await learner.press("next")  # and the course goes on
    assert not learner.notices() and learner.shown[0].heading != shown
    # Resume and the press each commit once (resume logs the learner's return).
    assert (await store.load(learner.actor)).rev == after.rev + 2  # type: ignore[union-attr]


async def test_a_hung_single_server_answers_within_the_timeout_and_recovers(
    module: Module, redis_server: EmbeddedRedis
) -> None:
    async with RedisProxy(str(redis_server.socket_path)) as proxy:
        client = await connect(proxy.url, timeout_s=TIMEOUT_S)
        try:

            def hang() -> None:
                proxy.hung = True

            def resume() -> None:
                proxy.hung = False

            await hang_and_recover(module, client, hang, resume)
        finally:
            await client.aclose()


@pytest.fixture
async def own_cluster(tmp_path: Path) -> AsyncIterator[LocalCluster]:
    """A cluster of its own: this test stops one of its primaries."""
    cluster = LocalCluster(tmp_path, primaries=3, persistent=False, node_timeout_ms=15_000)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


async def test_a_hung_cluster_primary_answers_within_the_timeout_and_recovers(
    module: Module, own_cluster: LocalCluster
) -> None:
    client = await connect(own_cluster.url, cluster=True, timeout_s=TIMEOUT_S)
    node = own_cluster.node_for_key(KEYS.state(Learner(None, user="u-hung").actor))  # type: ignore[arg-type]
    assert node.process is not None
    process = node.process
    try:
        await hang_and_recover(
            module,
            client,
            lambda: process.send_signal(signal.SIGSTOP),
            lambda: process.send_signal(signal.SIGCONT),
        )
    finally:
        process.send_signal(signal.SIGCONT)
        await client.aclose()


async def test_the_bot_s_client_waits_redis_timeout_s_for_a_reply(
    redis_server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    from redis.exceptions import TimeoutError as RedisTimeoutError

    from bot.runtime import connect_settings
    from bot.settings import Settings

    async with RedisProxy(str(redis_server.socket_path)) as proxy:
        monkeypatch.setenv("REDIS_TIMEOUT_S", "0.3")
        client = await connect_settings(Settings(_env_file=None, redis_url=proxy.url))  # type: ignore[call-arg]
        try:
            await client.ping()
            proxy.hung = True
            started = time.monotonic()
            with pytest.raises(RedisTimeoutError):
                await client.get("anything")
            assert time.monotonic() - started < 0.3 + 1.5
        finally:
            await client.aclose()
