"""The store on Redis Cluster: a cluster refuses any script or command whose keys span slots."""

import pytest
from redis.exceptions import ResponseError

from bot.storage.dedupe import EventDeduper
from bot.storage.redis_store import RedisLearnerStore


async def test_the_cluster_would_catch_a_cross_slot_script(cluster) -> None:
    # Sent straight to the node, past redis-py's own check, to see the server refuse it.
    with pytest.raises(ResponseError, match="same slot"):
        await cluster.execute_command(
            "EVAL", "return 1", 2, "tutorbot:{a}:x", "tutorbot:{b}:x", target_nodes=cluster.get_primaries()
        )


async def test_every_store_operation_works_on_a_cluster(cluster, keys, actor) -> None:
    store = RedisLearnerStore(cluster, keys, log_cap=5, transcript_cap=5)
    learner = actor()

    first = await store.commit(learner, None, b"v1", log=[b"e1"], lab_id="lab-a", transcript=[b"t1"])
    assert first.ok
    result = await store.commit(
        learner, first.current, b"v2", log=[b"e2"], lab_id="lab-a", transcript=[b"t2"], read_transcript=5
    )
    assert result.ok and result.transcript == [b"t1", b"t2"]
    conflict = await store.commit(learner, first.current, b"stale")
    assert not conflict.ok and conflict.current == result.current
    assert await store.load(learner) == result.current
    assert await store.log(learner, 5) == [b"e1", b"e2"]
    assert await store.learners("slack", "T123") == ["U456"]

    await store.quarantine(learner, "test")
    assert await store.load(learner) is None

    deduper = EventDeduper(cluster, keys)
    assert await deduper.first_time("slack", "Ev1")
    assert not await deduper.first_time("slack", "Ev1")
