"""`/cohort items`, `chart` and `reveal` through the cohort service, on learners who took the
module through the real engine and Redis; and `tutorbot simulate --cohort` feeding them."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter

import redis.asyncio as aioredis
from PIL import Image

from bot.course.models import Module
from bot.insight.items import course_items
from bot.simulate import SimulatedLearner, enrol_simulated
from tests.cohorts.conftest import KEYS, World, admin, member

TENANT_ID = "T1"


async def cohort_of(
    world: World, redis: aioredis.Redis, module: Module, learners: int
) -> Counter[tuple[str, str]]:
    """`learners` simulated learners enrolled in `spring`, through the whole module; returns how
    often each (question, option) was chosen at the first attempt, from what they pressed."""
    from bot.cohorts.models import Tenant

    tenant = Tenant(platform="slack", tenant=TENANT_ID)
    actors = await enrol_simulated(redis, KEYS, world.engine, tenant, "spring", learners)
    assert actors is not None
    rng = random.Random(5)
    sims = [
        SimulatedLearner(world.engine, module, actor, random.Random(rng.random()), rng.uniform(0.4, 0.95))
        for actor in actors
    ]
    first: Counter[tuple[str, str]] = Counter()
    for sim in sims:
        run = await sim.take_module()
        seen: set[str] = set()
        for question, option in run.sent_answers:
            if question not in seen:
                seen.add(question)
                first[(question, option)] += 1
    return first


async def test_items_table_counts_every_first_answer_the_learners_gave(
    world: World, redis: aioredis.Redis, module: Module
) -> None:
    first = await cohort_of(world, redis, module, 24)
    answer = await world.say(admin(), "items spring")
    assert answer.ok, answer.text
    assert "questions flagged" in answer.title
    (table,) = answer.files
    assert table.filename == "spring-items.csv"
    rows = {row["question"]: row for row in csv.DictReader(io.StringIO(table.content.decode()))}
    assert set(rows) == {item.question.id for item in course_items(module)}
    for item in course_items(module):
        row = rows[item.question.id]
        counts = [first[(item.question.id, option.id)] for option in item.question.options]
        assert [int(row[f"option_{c}"]) for c in "abcd"] == counts
        assert int(row["answers"]) == sum(counts) == 24
        right = first[(item.question.id, item.key)]
        assert float(row["facility"]) == round(right / 24, 3)


async def test_charts_go_to_the_facilitator_as_pictures_with_a_summary(
    world: World, redis: aioredis.Redis, module: Module
) -> None:
    await cohort_of(world, redis, module, 6)
    for kind in ("funnel", "scores", "activity"):
        answer = await world.say(admin(), f"chart spring {kind}")
        assert answer.ok and answer.post is None, answer.text
        (picture,) = answer.files
        assert Image.open(io.BytesIO(picture.content)).size == (1080, 810)
        assert "spring" in answer.title
    funnel = await world.say(admin(), "chart spring funnel")
    assert "6 enrolled, 6 started" in funnel.title


async def test_reveal_posts_counts_without_anyone_and_the_answer_only_when_asked(
    world: World, redis: aioredis.Redis, module: Module
) -> None:
    await cohort_of(world, redis, module, 8)
    answer = await world.say(admin(), "reveal spring L3Q2")
    assert answer.ok and answer.post is not None, answer.text
    post = answer.post
    assert post.image is not None and Image.open(io.BytesIO(post.image)).format == "PNG"
    assert "(8 first answers)" in post.text
    for n in range(8):
        assert f"sim-{n}" not in post.text and f"Simulated learner {n}" not in post.text
    question = module.lessons[2].quiz.questions[1]
    key = next(o for o in question.options if o.correct)
    assert question.feedback.correct not in post.text
    assert "reveal spring L3Q2 answer" in answer.title
    second = await world.say(admin(), "reveal spring L3Q2 answer")
    assert second.post is not None and key.text in second.post.text and second.post.image is None
    audit = await world.say(admin(), "audit spring")
    assert "L3Q2 distribution" in audit.text and "L3Q2 answer" in audit.text


async def test_insight_bad_input_and_rights(world: World, redis: aioredis.Redis, module: Module) -> None:
    await cohort_of(world, redis, module, 3)
    small = await world.say(admin(), "reveal spring T1")
    assert not small.ok and small.post is None and "at least 5 answers" in small.title
    unknown = await world.say(admin(), "reveal spring L9Q1")
    assert not unknown.ok and "L1Q2" in unknown.title
    bad_kind = await world.say(admin(), "chart spring pie")
    assert not bad_kind.ok and "funnel|scores|activity" in bad_kind.title
    stranger = await world.say(member("UOTHER"), "items spring")
    assert not stranger.ok and not stranger.files
    elsewhere = await world.say(admin(tenant="T2"), "items spring")
    assert not elsewhere.ok and not elsewhere.files
    await world.say(admin(), "create empty")
    empty = await world.say(admin(), "items empty")
    assert not empty.ok and "no learners yet" in empty.title
