"""A Redis Cluster primary crashes mid-course and comes back: what learners see meanwhile, and
that nothing they were shown as done is lost (AOF with `appendfsync always`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.advisor.offline import OfflineAdvisor
from bot.course.models import Module
from bot.engine.engine import UNAVAILABLE_NOTICE, UNCERTAIN_NOTICE, Engine
from bot.storage.client import AsyncRedis, connect
from bot.storage.keys import KeyBuilder
from bot.storage.local_cluster import LocalCluster
from bot.storage.redis_store import RedisLearnerStore
from tests.engine.driver import Learner


@pytest.fixture
async def durable_cluster(tmp_path: Path) -> AsyncIterator[tuple[LocalCluster, AsyncRedis]]:
    """A cluster of its own (this test crashes a node), every write fsynced before its reply."""
    cluster = LocalCluster(tmp_path, primaries=3, persistent=True, node_timeout_ms=1000)
    cluster.start()
    client = await connect(cluster.url, cluster=True)
    try:
        yield cluster, client
    finally:
        await client.aclose()
        cluster.stop()


def heading(learner: Learner) -> str:
    return learner.shown[0].heading or ""


async def test_a_crashed_primary_costs_its_learners_a_pause_and_nothing_acknowledged(
    durable_cluster: tuple[LocalCluster, AsyncRedis], module: Module
) -> None:
    cluster, client = durable_cluster
    keys = KeyBuilder("outage")
    store = RedisLearnerStore(client, keys)
    engine = Engine(module, store, OfflineAdvisor())
    learners = [Learner(engine, user=f"u{n}") for n in range(12)]
    for learner in learners:
        await learner.command("start")
        await learner.press("next")
    victim = cluster.node_for_key(keys.state(learners[0].actor))
    away = [lr for lr in learners if cluster.node_for_key(keys.state(lr.actor)) is victim]
    others = [lr for lr in learners if lr not in away]
    assert away and others, "the learners should sit on the crashed node and on the others"

    # The learners on the doomed node take one more step, acknowledged (shown) just before it dies.
    acknowledged = {}
    for learner in away:
        await learner.press("next")
        assert not learner.notices()
        acknowledged[learner.actor] = (heading(learner), await store.load(learner.actor))

    cluster.stop_node(victim, kill=True)  # a crash: no clean shutdown, no final flush

    for learner in away:
        # The step's commit goes unanswered: the learner is told it may or may not have landed…
        await learner.press("next")
        assert learner.notices() == [UNCERTAIN_NOTICE]
        # …and, while the node is away, that the course is briefly unavailable.
        await learner.command("resume")
        assert learner.notices() == [UNAVAILABLE_NOTICE]
    for learner in others:  # the rest of the cluster carries on serving its own slots
        before = heading(learner)
        await learner.press("next")
        assert not learner.notices() and heading(learner) != before

    cluster.start_node(victim)

    for learner in away:
        shown_before, record_before = acknowledged[learner.actor]
        assert await store.load(learner.actor) == record_before  # nothing acknowledged was lost
        await learner.command("resume")
        assert not learner.notices() and heading(learner) == shown_before
        await learner.press("next")  # and the course goes on from there
        assert not learner.notices() and heading(learner) != shown_before
