import asyncio
import json

import pytest
import redis.asyncio as aioredis
from redis.asyncio import Redis, RedisCluster

from bot.storage import redis_store
from bot.storage.base import CorruptRecord, Stored
from bot.storage.redis_store import RedisLearnerStore
from tests.redis_tools import command_stats, reset_stats, watch_round_trips


async def test_new_learner_has_no_record(store, actor) -> None:
    assert await store.load(actor()) is None


async def test_commit_then_load_round_trips_binary_state(store, actor) -> None:
    learner = actor()
    blob = b'{"step": 1}\x00\xff'
    first = await store.commit(learner, None, blob)
    assert first.ok and first.current is not None and first.current.rev == 1
    assert await store.load(learner) == first.current
    second = await store.commit(learner, first.current, b"two")
    assert second.ok and second.current is not None
    assert await store.load(learner) == second.current
    assert (second.current.rev, second.current.data) == (2, b"two")
    assert second.current.wid != first.current.wid


async def test_stale_commit_gets_the_winner_and_changes_nothing(store, actor) -> None:
    learner = actor()
    v1 = (await store.commit(learner, None, b"v1", log=[b"e1"])).current
    v2 = (await store.commit(learner, v1, b"v2", log=[b"e2"], lab_id="lab-a", transcript=[b"t1"])).current

    result = await store.commit(
        learner, v1, b"loser", log=[b"lost"], lab_id="lab-a", transcript=[b"lost"], read_transcript=5
    )

    assert not result.ok
    assert result.current == v2 and v2 is not None and (v2.rev, v2.data) == (2, b"v2")
    assert result.transcript == []
    assert await store.load(learner) == v2
    assert await store.log(learner, 10) == [b"e1", b"e2"]
    assert await store.transcript(learner, "lab-a", 10) == [b"t1"]


async def test_creating_a_learner_twice_conflicts(store, actor) -> None:
    learner = actor()
    first = await store.commit(learner, None, b"first")
    assert first.ok
    result = await store.commit(learner, None, b"second")
    assert not result.ok
    assert result.current == first.current


async def test_commit_on_a_record_that_vanished_reports_no_current_record(store, actor) -> None:
    learner = actor()
    result = await store.commit(learner, Stored(rev=3, data=b"old", wid="gone"), b"x")
    assert not result.ok and result.current is None
    assert await store.load(learner) is None


async def test_concurrent_first_events_create_exactly_one_record(new_client, redis, keys, actor) -> None:
    learner = actor()
    stores = [RedisLearnerStore(await new_client(), keys) for _ in range(3)]
    results = await asyncio.gather(*(stores[i % 3].commit(learner, None, b"%d" % i) for i in range(30)))
    winners = [i for i, result in enumerate(results) if result.ok]
    assert len(winners) == 1
    stored = await stores[0].load(learner)
    assert stored is not None and (stored.rev, stored.data) == (1, b"%d" % winners[0])


async def test_concurrent_writers_that_retry_on_conflict_lose_no_update(
    new_client, redis, keys, actor
) -> None:
    learner = actor()
    stores = [RedisLearnerStore(await new_client(), keys) for _ in range(2)]  # two bot processes
    conflicts = 0

    async def increment(store: RedisLearnerStore) -> None:
        nonlocal conflicts
        current = await store.load(learner)
        while True:
            count = json.loads(current.data)["count"] if current else 0
            result = await store.commit(
                learner, current, json.dumps({"count": count + 1}).encode(), log=[b"+1"]
            )
            if result.ok:
                return
            conflicts += 1
            current = result.current  # the conflict reply carries the winner: no reload

    per_writer = 60
    await asyncio.gather(*(increment(store) for store in stores for _ in range(per_writer)))

    final = await stores[0].load(learner)
    assert final is not None
    assert json.loads(final.data)["count"] == 2 * per_writer
    assert final.rev == 2 * per_writer
    assert conflicts > 0, "the writers never raced; the test proved nothing"


async def test_event_log_keeps_only_the_newest_entries(store, actor) -> None:
    learner = actor()
    current = None
    for i in range(30):  # log_cap is 20 in this fixture
        result = await store.commit(learner, current, b"s", log=[b"e%d" % i])
        assert result.ok
        current = result.current
    assert await store.log(learner, 100) == [b"e%d" % i for i in range(10, 30)]
    assert await store.log(learner, 3) == [b"e27", b"e28", b"e29"]
    # One commit carrying more than the cap keeps its newest entries.
    await store.commit(learner, current, b"s", log=[b"burst%d" % i for i in range(50)])
    assert await store.log(learner, 100) == [b"burst%d" % i for i in range(30, 50)]


async def test_transcript_is_capped_and_its_tail_comes_back_with_the_commit(store, actor) -> None:
    learner = actor()
    current = None
    for i in range(15):  # transcript_cap is 10 in this fixture
        result = await store.commit(
            learner,
            current,
            b"s",
            lab_id="lab-ml-engineer",
            transcript=[b"learner %d" % i, b"advisor %d" % i],
            read_transcript=3,
        )
        assert result.ok
        current = result.current
    assert result.transcript == [b"advisor 13", b"learner 14", b"advisor 14"]
    stored = await store.transcript(learner, "lab-ml-engineer", 100)
    assert len(stored) == 10 and stored[-1] == b"advisor 14"
    assert await store.transcript(learner, "lab-other", 5) == []


async def test_tail_can_be_read_without_writing_to_the_transcript(store, actor) -> None:
    learner = actor()
    first = await store.commit(learner, None, b"s", lab_id="lab-a", transcript=[b"hello"])
    result = await store.commit(learner, first.current, b"s", lab_id="lab-a", read_transcript=5)
    assert result.ok and result.transcript == [b"hello"]


async def test_entries_with_a_newline_or_empty_are_refused_before_anything_is_written(store, actor) -> None:
    learner = actor()
    for bad in ([b"two\nlines"], [b""]):
        with pytest.raises(ValueError):
            await store.commit(learner, None, b"s", log=bad)
    assert await store.load(learner) is None
    # JSON entries carry newlines escaped, so they go through intact.
    assert (await store.commit(learner, None, b"s", log=[b'{"text":"a\\nb"}'])).ok
    assert await store.log(learner, 5) == [b'{"text":"a\\nb"}']


async def test_transcript_without_a_lab_is_a_caller_error(store, actor) -> None:
    with pytest.raises(ValueError):
        await store.commit(actor(), None, b"s", transcript=[b"x"])
    assert await store.load(actor()) is None


async def test_learners_of_one_tenant_do_not_see_another_tenants(store, actor) -> None:
    a1, a2 = actor("U1", tenant="T1"), actor("U2", tenant="T1")
    b1 = actor("U1", tenant="T2")  # same user id, other workspace
    first = await store.commit(a1, None, b"a1")
    await store.commit(a2, None, b"a2")
    await store.commit(b1, None, b"b1")
    await store.commit(a1, first.current, b"a1 again")

    assert await store.learners("slack", "T1") == ["U1", "U2"]
    assert await store.learners("slack", "T2") == ["U1"]
    assert await store.learners("discord", "T1") == []
    assert (await store.load(b1)).data == b"b1"
    assert (await store.load(a1)).data == b"a1 again"


async def test_quarantine_moves_the_record_aside_for_a_fresh_start(
    redis, store, keys, actor, monkeypatch
) -> None:
    learner = actor()
    written = (await store.commit(learner, None, b"unreadable", log=[b"e1"])).current
    monkeypatch.setattr(redis_store.time, "time_ns", lambda: 1_700_000_000_000 * 1_000_000)

    await store.quarantine(learner, "state failed validation")

    assert await store.load(learner) is None
    moved = keys.quarantine(learner, 1_700_000_000_000)
    assert await redis.hgetall(moved) == {b"rev": b"1", b"wid": written.wid.encode(), b"data": b"unreadable"}
    assert 0 < await redis.ttl(moved) <= 30 * 24 * 3600
    note = json.loads((await store.log(learner, 1))[0])
    assert note["kind"] == "quarantined" and note["reason"] == "state failed validation"
    assert note["t"] == 1_700_000_000.0
    assert note["moved_to"] == moved
    # The learner starts again, and a second quarantine in the same millisecond keeps both.
    assert (await store.commit(learner, None, b"fresh")).ok
    await store.quarantine(learner, "again")
    assert await redis.exists(moved, keys.quarantine(learner, 1_700_000_000_001)) == 2
    assert await store.learners("slack", "T123") == ["U456"]


async def test_quarantine_without_a_record_does_nothing(store, actor) -> None:
    await store.quarantine(actor(), "nothing there")
    assert await store.log(actor(), 10) == []


async def test_a_record_of_the_wrong_shape_is_reported_and_can_be_quarantined(
    redis, store, keys, actor
) -> None:
    learner = actor()
    await redis.set(keys.state(learner), b"left by an old version")
    with pytest.raises(CorruptRecord):
        await store.load(learner)
    with pytest.raises(CorruptRecord):
        await store.commit(learner, Stored(rev=1, data=b"x", wid="w"), b"x")
    await store.quarantine(learner, "not a hash")
    assert await store.load(learner) is None
    assert (await store.commit(learner, None, b"fresh")).ok


async def test_a_record_without_a_revision_is_reported_not_overwritten(redis, store, keys, actor) -> None:
    learner = actor()
    await redis.hset(keys.state(learner), "data", b"orphan")
    with pytest.raises(CorruptRecord):
        await store.load(learner)
    with pytest.raises(CorruptRecord):
        await store.commit(learner, None, b"x")
    assert await redis.hgetall(keys.state(learner)) == {b"data": b"orphan"}


async def test_a_broken_log_key_fails_the_commit_without_a_partial_write(redis, store, keys, actor) -> None:
    learner = actor()
    v1 = (await store.commit(learner, None, b"v1")).current
    await redis.set(keys.log(learner), b"not a list")
    with pytest.raises(CorruptRecord):
        await store.commit(learner, v1, b"v2", log=[b"e"])
    assert await store.load(learner) == v1


async def test_commit_survives_a_server_that_forgot_its_scripts(redis, store, actor) -> None:
    learner = actor()
    v1 = (await store.commit(learner, None, b"v1")).current
    await redis.script_flush()  # as after a restart or failover
    v2 = await store.commit(learner, v1, b"v2")
    assert v2.ok and await store.load(learner) == v2.current


async def test_each_event_costs_one_round_trip_to_load_and_one_to_commit(redis, store, actor) -> None:
    learner = actor()
    await store.commit(learner, None, b"s")  # creation also registers the learner with the tenant
    await reset_stats(redis)
    trips = watch_round_trips(redis)

    events = 25
    for _ in range(events):
        current = await store.load(learner)
        result = await store.commit(
            learner, current, b"s", log=[b"e"], lab_id="lab-a", transcript=[b"t"], read_transcript=5
        )
        assert result.ok

    assert trips == [["HMGET"], ["EVALSHA"]] * events
    # The server agrees: one script run per commit (commands run inside it are counted too).
    stats = await command_stats(redis)
    assert stats["cmdstat_evalsha"]["calls"] == events
    assert stats["cmdstat_hmget"]["calls"] == 2 * events  # each load, and the script's own read
    assert "cmdstat_eval" not in stats and "cmdstat_script" not in stats


async def test_a_client_that_decodes_responses_is_refused(redis_target, keys) -> None:
    cls = RedisCluster if redis_target.cluster else Redis
    client = cls.from_url(redis_target.url, decode_responses=True)
    with pytest.raises(ValueError):
        RedisLearnerStore(client, keys)
    await client.aclose()


async def test_a_rolled_back_record_does_not_let_an_older_write_win(redis, store, keys, actor) -> None:
    # Redis loses its newest write (a restored snapshot, a failover to a lagging replica): the
    # revision numbers come round again, and a writer holding the lost record must not pass.
    learner = actor()
    v1 = (await store.commit(learner, None, b"v1")).current
    snapshot = await redis.dump(keys.state(learner))
    lost = (await store.commit(learner, v1, b"A's write, lost in the rollback")).current
    await redis.restore(keys.state(learner), 0, snapshot, replace=True)
    winner = (await store.commit(learner, v1, b"B's acknowledged write")).current
    assert lost is not None and winner is not None and lost.rev == winner.rev == 2

    result = await store.commit(learner, lost, b"A's next write, from its stale copy")

    assert not result.ok and result.current == winner
    assert (await store.load(learner)) == winner


async def test_a_record_deleted_and_made_again_does_not_match_an_old_copy(store, actor) -> None:
    learner = actor()
    old = (await store.commit(learner, None, b"old")).current
    await store.quarantine(learner, "set aside")
    again = (await store.commit(learner, None, b"new life")).current
    assert old is not None and again is not None and old.rev == again.rev == 1

    result = await store.commit(learner, old, b"from the copy of the old record")

    assert not result.ok and result.current == again


async def test_a_commit_whose_reply_is_lost_is_retried_without_applying_twice(
    redis_server, keys, actor
) -> None:
    from tests.fakes.redis_proxy import RedisProxy

    learner = actor()
    direct = aioredis.from_url(redis_server.url)
    await direct.flushall()
    store = RedisLearnerStore(direct, keys, log_cap=20, transcript_cap=10)
    async with RedisProxy(str(redis_server.socket_path)) as proxy:
        client = aioredis.from_url(proxy.url)
        flaky = RedisLearnerStore(client, keys, log_cap=20, transcript_cap=10)
        v1 = (await flaky.commit(learner, None, b"v1", log=[b"e1"])).current
        proxy.cut_next_reply()  # the script runs, and its answer never arrives

        result = await flaky.commit(learner, v1, b"v2", log=[b"e2"])

        assert result.ok and result.current is not None and result.current.rev == 2
        assert await store.load(learner) == result.current
        assert await store.log(learner, 10) == [b"e1", b"e2"]  # written once
        await client.aclose()
    await direct.aclose()


async def test_a_commit_redis_never_answers_is_reported_as_uncertain(redis_server, keys, actor) -> None:
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    from bot.storage.base import CommitUncertain
    from tests.fakes.redis_proxy import RedisProxy

    learner = actor()
    async with RedisProxy(str(redis_server.socket_path)) as proxy:
        client = aioredis.from_url(proxy.url, socket_timeout=0.2, retry=Retry(NoBackoff(), 1))
        hung = RedisLearnerStore(client, keys)
        v1 = (await hung.commit(learner, None, b"v1")).current
        proxy.hung = True
        with pytest.raises(CommitUncertain):
            await hung.commit(learner, v1, b"v2")
        await client.aclose()
