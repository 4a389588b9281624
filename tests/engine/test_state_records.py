"""Broken, old and foreign state records: migrate or quarantine, never crash the bot."""

from __future__ import annotations

import json

import pytest

from bot.domain.codec import UnreadableState, decode, encode
from bot.domain.state import SCHEMA_VERSION, LearnerState
from tests.engine.driver import Learner


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\xffnot json",
        b"[1, 2]",
        b'{"v": 99, "module_id": "m"}',
        b'{"v": 2, "module_id": 5, "step": {"at": "moon"}}',
    ],
    ids=["garbage", "not-an-object", "future-version", "invalid-fields"],
)
async def test_unreadable_record_is_quarantined_and_the_learner_starts_afresh(
    make_engine, store, redis, data
):
    learner, bystander = Learner(make_engine()), Learner(make_engine(), user="u2")
    await learner.command("start")
    await bystander.command("start")
    key = store.keys.state(learner.actor)
    await redis.hset(key, "data", data)

    await learner.command("resume")
    assert any("could not be read" in n for n in learner.notices())
    assert "Welcome" in learner.text()  # a fresh start, shown at once
    quarantined = [k async for k in redis.scan_iter(match="*quarantine*")]
    assert len(quarantined) == 1 and await redis.hget(quarantined[0], "data") == data

    await bystander.command("resume")  # everyone else is served as before
    assert not bystander.notices() and "Lesson 1" in bystander.text()


async def test_record_of_the_wrong_redis_type_is_quarantined(make_engine, store, redis):
    learner = Learner(make_engine())
    await redis.set(store.keys.state(learner.actor), "a string, not a hash")
    await learner.command("start")
    assert any("could not be read" in n for n in learner.notices())
    assert "Welcome" in learner.text()


async def test_version_1_record_is_migrated(make_engine, store, redis, module):
    learner = Learner(make_engine())
    v1 = {
        "v": 1,
        "module_id": module.id,
        "token": 7,
        "step": {"at": "lesson", "lesson_id": module.lessons[1].id, "card": 2},
        "progress": {"lessons_read": [module.lessons[0].id]},
    }
    await redis.hset(store.keys.state(learner.actor), mapping={"rev": 3, "data": json.dumps(v1)})
    await learner.command("resume")
    assert not learner.notices()
    assert "Card 3 of" in learner.text()
    await learner.press("next")
    stored = json.loads((await store.load(learner.actor)).data)
    assert stored["v"] == SCHEMA_VERSION and stored["progress"]["lessons_done"] == [module.lessons[0].id]


async def test_step_naming_a_unit_the_course_no_longer_has_goes_to_the_menu(
    make_engine, store, redis, module
):
    learner = Learner(make_engine())
    state = LearnerState(module_id=module.id, step={"at": "quiz", "quiz_id": "removed-quiz"})  # type: ignore[arg-type]
    await redis.hset(store.keys.state(learner.actor), mapping={"rev": 1, "data": encode(state)})
    await learner.command("resume")
    assert not learner.notices()
    assert any(b.action == "open" for m in learner.shown for b in m.buttons)


def test_codec_round_trip_and_refusals():
    state = LearnerState(module_id="m")
    assert decode(encode(state)) == state
    with pytest.raises(UnreadableState):
        decode(b'{"v": 0}')


async def test_redis_going_away_gets_a_clear_answer_not_a_crash(module, tmp_path):
    import redis.asyncio as aioredis

    from bot.advisor.offline import OfflineAdvisor
    from bot.engine.engine import INTERNAL_ERROR_NOTICE, Engine
    from bot.storage.embedded import EmbeddedRedis
    from bot.storage.keys import KeyBuilder
    from bot.storage.redis_store import RedisLearnerStore

    server = EmbeddedRedis(tmp_path, persistent=False)
    client = aioredis.from_url(server.start())
    learner = Learner(Engine(module, RedisLearnerStore(client, KeyBuilder("t")), OfflineAdvisor()))
    await learner.command("start")
    server.stop()  # the database disappears mid-course
    await learner.press("next")
    assert learner.notices() == [INTERNAL_ERROR_NOTICE]
    await client.aclose()
