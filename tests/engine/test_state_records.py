"""Broken, old and foreign state records: migrate or quarantine, never crash the bot."""

from __future__ import annotations

import json
import weakref

import pytest

from bot.domain.codec import StateEncoder, UnreadableState, decode, encode
from bot.domain.state import SCHEMA_VERSION, CohortTerms, LearnerState, LessonStep, Progress, ResetBackup
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
    quarantined = sorted([k async for k in redis.scan_iter(match="*quarantine*")])
    assert len(quarantined) == 2  # the state record and the event log that went with it
    assert await redis.hget(quarantined[0], "data") == data
    assert quarantined[1] == quarantined[0] + b":log"

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


def test_the_engines_encoder_writes_each_state_as_it_is_even_reusing_an_unchanged_progress():
    encoder = StateEncoder(size=2)
    first = LearnerState(module_id="m", progress=Progress(lessons_done=["l1"]))
    moved_on = first.advanced()  # the same progress object, a new step token
    finished = moved_on.with_progress(moved_on.progress.with_lesson_done("l2"))
    learners = ("ann", "bob", "ann", "cy", "bob", "ann")
    states = (first, moved_on, finished, moved_on, LearnerState(module_id="m"), first)
    for learner, state in zip(learners, states, strict=True):
        record = encoder(state, learner)
        assert decode(record) == state
        assert json.loads(record) == json.loads(encode(state))
        assert record.startswith(b'{"v":%d,' % SCHEMA_VERSION)  # read back without migration


def test_the_engines_encoder_writes_a_change_of_the_seldom_changed_fields_with_the_same_progress():
    """The encoder reuses the JSON of the fields besides the token and step: a facilitator's
    change to them (cohort terms, a reset's backup, the first contact) must still be written,
    though the progress object is the one written before."""
    encoder = StateEncoder()
    first = LearnerState(module_id="m", awaiting_start=True, progress=Progress(lessons_done=["l1"]))
    terms = CohortTerms(cohort="spring", test_attempts=2, cooldown_minutes=30)
    backup = ResetBackup(reset_id="r1", unit="l1", by="U1", at=5.0, progress=Progress())
    states = (
        first,
        first.with_terms(terms),
        first.with_terms(terms).with_undo(backup),
        first.with_terms(terms).with_undo(backup).with_start(1234.5),
        first.with_start(1234.5).with_step(LessonStep(lesson_id="l2", card=3)).advanced(),
        first,
    )
    for state in states:
        assert state.progress is first.progress
        record = encoder(state, "ann")
        assert decode(record) == state
        assert json.loads(record) == json.loads(encode(state))


def test_the_engines_encoder_writes_a_new_progress_that_comes_with_other_changes():
    """Most new progress comes alone (an answer), and the rest of the record is written as
    before; but a reset replaces the progress and keeps a backup at once, and a new progress
    can come with new cohort terms or a start: those must be written too."""
    encoder = StateEncoder()
    first = LearnerState(module_id="m", progress=Progress(lessons_done=["l1"]))
    backup = ResetBackup(reset_id="r1", unit="l1", by="U1", at=5.0, progress=first.progress)
    terms = CohortTerms(cohort="spring", test_attempts=2, cooldown_minutes=30)
    reset = first.with_progress(Progress()).with_undo(backup)
    states = (
        first,
        first.with_progress(first.progress.with_lesson_done("l2")),  # the progress alone
        reset,
        reset.with_progress(reset.progress.with_lesson_done("l1")).with_terms(terms),
        reset.with_progress(Progress(lessons_done=["l3"])).with_start(1234.5),
    )
    for state in states:
        record = encoder(state, "ann")
        assert decode(record) == state
        assert json.loads(record) == json.loads(encode(state))


def test_the_engines_encoder_lets_go_of_a_learners_progress_once_it_has_changed():
    encoder = StateEncoder()
    before = LearnerState(module_id="m", progress=Progress(lessons_done=["l1"]))
    encoder(before, "ann")
    gone = weakref.ref(before.progress)
    after = before.with_progress(before.progress.with_lesson_done("l2"))
    del before
    encoder(after, "ann")
    assert gone() is None  # freed by reference counting, not held until 10,000 more learners


async def test_redis_going_away_gets_a_clear_answer_not_a_crash(module, tmp_path):
    import redis.asyncio as aioredis

    from bot.advisor.offline import OfflineAdvisor
    from bot.engine.engine import UNAVAILABLE_NOTICE, UNCERTAIN_NOTICE, Engine
    from bot.storage.embedded import EmbeddedRedis
    from bot.storage.keys import KeyBuilder
    from bot.storage.redis_store import RedisLearnerStore

    server = EmbeddedRedis(tmp_path, persistent=False)
    client = aioredis.from_url(server.start())
    learner = Learner(Engine(module, RedisLearnerStore(client, KeyBuilder("t")), OfflineAdvisor()))
    await learner.command("start")
    server.stop()  # the database disappears mid-course
    await learner.press("next")
    assert learner.notices() == [UNCERTAIN_NOTICE]
    await learner.command("resume")
    assert learner.notices() == [UNAVAILABLE_NOTICE]
    await client.aclose()


def _v1(module, progress: object) -> bytes:
    record = {"v": 1, "module_id": module.id, "token": 3, "step": {"at": "menu"}, "progress": progress}
    return json.dumps(record).encode()


def _set_aside(keys: list[bytes]) -> set[bytes]:
    """The kinds of key moved aside: `state`, `log`, `lab`."""
    kinds = set()
    for key in keys:
        tail = key.rsplit(b":quarantine:", 1)[1].split(b":")
        kinds.add(b"state" if len(tail) == 1 else tail[1])
    return kinds


async def _quarantined(redis) -> list[bytes]:
    return [k async for k in redis.scan_iter(match="*quarantine*")]


@pytest.mark.parametrize(
    "progress",
    [["lessons_read"], None, {"test_attempts": 3}, {"test_attempts": None}],
    ids=["progress-list", "progress-null", "test-attempts-number", "test-attempts-null"],
)
async def test_a_version_1_record_of_the_wrong_shape_is_quarantined(
    make_engine, store, redis, module, progress
):
    learner = Learner(make_engine())
    await learner.command("start")
    await redis.hset(store.keys.state(learner.actor), mapping={"rev": 5, "data": _v1(module, progress)})

    await learner.command("resume")

    assert any("could not be read" in n for n in learner.notices())
    assert "Welcome" in learner.text()
    assert _set_aside(await _quarantined(redis)) == {b"state", b"log"}
    await learner.press("next")  # and the fresh start works
    assert not learner.notices()


async def test_an_event_log_of_the_wrong_type_is_quarantined_with_the_record(make_engine, store, redis):
    learner = Learner(make_engine())
    await learner.command("start")
    await redis.delete(store.keys.log(learner.actor))
    await redis.hset(store.keys.log(learner.actor), "not", "a list")

    await learner.press("next")

    assert any("could not be read" in n for n in learner.notices())
    assert "Welcome" in learner.text()
    assert _set_aside(await _quarantined(redis)) == {b"state", b"log"}
    await learner.press("next")
    assert not learner.notices() and "Card 2 of" in learner.text()


async def test_a_lab_transcript_of_the_wrong_type_is_quarantined_with_everything(
    make_engine, store, redis, module
):
    learner = Learner(make_engine())
    await learner.command("start")
    await learner.read_lesson()
    lab = module.lessons[0].lab
    await learner.open(lab.id)
    await learner.say("How does an ML engineer move a model from a notebook into production?")
    await redis.delete(store.keys.lab(learner.actor, lab.id))
    await redis.set(store.keys.lab(learner.actor, lab.id), "not a list")

    await learner.say("What does monitoring a deployed model involve for an ML engineer?")

    assert any("could not be read" in n for n in learner.notices())
    assert "Welcome" in learner.text()
    assert _set_aside(await _quarantined(redis)) == {b"state", b"log", b"lab"}
    assert await store.transcript(learner.actor, lab.id, 10) == []


async def test_a_step_naming_a_unit_of_another_kind_is_quarantined(make_engine, store, redis, module):
    learner = Learner(make_engine())
    lab_id = module.lessons[0].lab.id
    state = LearnerState(module_id=module.id, step={"at": "quiz", "quiz_id": lab_id})  # type: ignore[arg-type]
    await redis.hset(store.keys.state(learner.actor), mapping={"rev": 1, "data": encode(state)})

    await learner.command("resume")

    assert any("could not be read" in n for n in learner.notices())
    assert "Welcome" in learner.text()
    await learner.command("resume")
    assert not learner.notices()


async def test_a_tenant_learner_set_of_the_wrong_type_does_not_stop_newcomers(make_engine, store, redis):
    newcomer = Learner(make_engine(), user="new")
    learners_key = store.keys.learners("slack", "t1")
    await redis.set(learners_key, "not a set")

    await newcomer.command("start")

    assert not newcomer.notices() and "Welcome" in newcomer.text()
    assert await store.learners("slack", "t1") == ["new"]
    assert [k async for k in redis.scan_iter(match=learners_key + ":broken:*")]


async def test_after_an_internal_error_the_resume_it_points_at_works(make_engine, store, redis, module):
    # A record whose step fails to render (a lesson card before the first one) is
    # readable, so only trying `resume` shows that it is broken.
    from bot.engine.engine import INTERNAL_ERROR_NOTICE

    learner = Learner(make_engine())
    state = LearnerState(
        module_id=module.id, step={"at": "lesson", "lesson_id": module.lessons[0].id, "card": -100}
    )  # type: ignore[arg-type]
    await redis.hset(store.keys.state(learner.actor), mapping={"rev": 1, "data": encode(state)})

    await learner.command("resume")

    assert INTERNAL_ERROR_NOTICE not in learner.notices()
    assert any("could not be read" in n for n in learner.notices())
    await learner.command("resume")
    assert not learner.notices() and "Lesson 1" in learner.text()
