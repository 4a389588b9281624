"""Who may act, a facilitator racing the learner's own click, and every kind of bad input."""

from __future__ import annotations

import asyncio

import pytest

from bot.advisor.offline import OfflineAdvisor
from bot.cohorts.parser import BadInput, parse
from bot.engine.engine import Engine
from tests.cohorts.conftest import World, admin, member
from tests.cohorts.test_cohort_commands import state_of
from tests.engine.driver import Learner


async def keys_snapshot(world: World) -> dict[bytes, bytes]:
    client = world.store.client
    out = {}
    for key in sorted(await client.keys("*")):
        kind = (await client.type(key)).decode()
        if kind == "string":
            out[key] = await client.get(key)
        elif kind == "hash":
            out[key] = repr(sorted((await client.hgetall(key)).items())).encode()
        elif kind == "set":
            out[key] = repr(sorted(await client.smembers(key))).encode()
        elif kind == "list":
            out[key] = repr(await client.lrange(key, 0, -1)).encode()
    return out


async def test_a_plain_member_is_refused_everything_and_nothing_changes(world: World) -> None:
    boss, plain = admin(), member("UPLAIN")
    await world.say(boss, "create spring")
    await world.say(boss, "enrol spring <@U1>")
    await Learner(world.engine, user="U1", tenant="T1").command("start")
    before = await keys_snapshot(world)
    for text in (
        "create autumn",
        "list",
        "enrol spring <@U2>",
        "remove spring <@U1>",
        "facilitator spring add <@UPLAIN>",
        "progress spring",
        "learner spring <@U1>",
        "unlock spring <@U1>",
        "attempts spring <@U1> +3",
        "reset spring <@U1> all",
        "undo spring <@U1>",
        "export spring",
        "audit spring",
        "progress",
        "progress nosuch",
    ):
        answer = await world.say(plain, text)
        assert not answer.ok, text
        assert answer.files == () and answer.sections == (), text
    assert await keys_snapshot(world) == before


async def test_rights_stop_at_the_tenant(world: World) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "enrol spring <@U1>")
    elsewhere = admin("UADMIN", tenant="T2")  # same user id, admin of another workspace
    assert not (await world.say(elsewhere, "progress spring")).ok
    assert not (await world.say(elsewhere, "unlock spring <@U1>")).ok
    assert "no cohorts here" in (await world.say(elsewhere, "list")).title
    # The added facilitator of T1 is nobody in T2.
    await world.say(boss, "facilitator spring add <@UHELP>")
    assert not (await world.say(member("UHELP", tenant="T2"), "progress spring")).ok
    unlocked = await state_of(world, "U1")
    assert unlocked is not None and not unlocked.progress.test_unlocked  # T1's learner untouched by T2


async def test_discord_role_holders_facilitate(world: World) -> None:
    from bot.cohorts.rights import Caller

    manager = Caller(platform="discord", tenant="G1", user="100000000000000001", manages_tenant=True)
    await world.say(manager, "create spring")
    assert (await world.say(manager, "facilitator spring add <@&200000000000000002>")).ok
    holder = Caller(
        platform="discord", tenant="G1", user="100000000000000009", roles=frozenset({"200000000000000002"})
    )
    outsider = Caller(platform="discord", tenant="G1", user="100000000000000008", roles=frozenset({"3"}))
    assert (await world.say(holder, "progress spring")).ok
    assert not (await world.say(outsider, "progress spring")).ok


async def test_a_facilitator_action_racing_the_learners_click_both_land(
    world: World, module, learner_store
) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "enrol spring <@U1>")
    # The learner's process and the facilitator's are separate engines sharing Redis.
    learner = Learner(Engine(module, learner_store, OfflineAdvisor()), user="U1", tenant="T1")
    await learner.command("start")
    await learner.read_lesson()
    await learner.press("open", module.lessons[0].quiz.id)
    choice = learner.button("answer")
    # The facilitator commits between the learner seeing the question and clicking an answer.
    assert (await world.say(boss, "unlock spring <@U1>")).ok
    await learner.press("answer", via=choice)
    assert "earlier step" not in learner.text()
    after = await state_of(world, "U1")
    assert after is not None and after.progress.test_unlocked
    assert after.step.at == "quiz" and len(after.step.answers) == 1

    async def answer_the_rest() -> None:
        for _ in module.lessons[0].quiz.questions[1:]:
            await learner.press("answer", via=learner.button("answer"))

    # Truly concurrent: five grants and the learner's two clicks at once; every one lands.
    results = await asyncio.gather(
        answer_the_rest(), *(world.say(boss, "attempts spring <@U1> +1") for _ in range(5))
    )
    assert all(answer.ok for answer in results[1:])
    final = await state_of(world, "U1")
    assert final is not None and final.progress.extra_attempts == 5 and final.progress.test_unlocked
    assert module.lessons[0].quiz.id in final.progress.quizzes


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("frobnicate", "I don't know `frobnicate`"),
        ("enrol spring", "Say whom to enrol"),
        ("enrol spring <@bad id>", "is not a mention I can read"),
        ("enrol spring @alice", "I can't tell who `@alice` is"),
        ("attempts spring <@U1> 0", "`+N` must be a positive number"),
        ("attempts spring <@U1> -2", "`+N` must be a positive number"),
        ("attempts spring <@U1> +many", "`+N` must be a positive number"),
        ("attempts spring <@U1>", "`+N` must be a positive number"),
        ("reset spring <@U1>", "Say what to reset"),
        ("remove spring <#C1|general>", "is not a person"),
        ("facilitator spring promote <@U1>", "Use `/cohort facilitator NAME add @user`"),
        ("create", "Name the new cohort in one word"),
        ("progress spring soon", "Use `/cohort progress NAME`"),
        ("unlock spring <@U1> " + "x" * 300, "Keep the reason under 200 characters"),
    ],
)
def test_malformed_commands_get_one_line(text: str, says: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse(text)
    assert says in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("progress nosuch", "There is no cohort called `nosuch` here."),
        ("unlock spring <@U9>", "@U9 is not in `spring`."),
        ("remove spring <@U9>", "@U9 is not in `spring`."),
        ("reset spring <@U1> lab9", "`lab9` is not a unit of this module"),
        ("reset spring <@U1> quiz3", "has no progress on Lesson 3 quiz to reset. Nothing changed."),
        ("undo spring <@U1>", "has no reset to undo. Nothing changed."),
        ("create spring", "There is already a cohort called `spring` here."),
        ("create help", "`help` can't name a cohort"),
        ("create Bad!Name", "can't name a cohort"),
        ("progress", "There are 2 cohorts here (`autumn`, `spring`): name the one you mean."),
        ("frobnicate spring", "I don't know `frobnicate`"),
    ],
)
async def test_bad_input_gets_one_line_and_changes_nothing(world: World, text: str, says: str) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "create autumn")
    await world.say(boss, "enrol spring <@U1>")
    await Learner(world.engine, user="U1", tenant="T1").command("start")
    before = await keys_snapshot(world)
    answer = await world.say(boss, text)
    assert not answer.ok and says in answer.plain_title and "\n" not in answer.title
    assert await keys_snapshot(world) == before


async def test_buttons_that_are_not_ours_change_nothing(world: World) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    before = await keys_snapshot(world)
    for action, value in (
        ("confirm", "spring:nope"),
        ("page", "spring:x"),
        ("zap", "spring:1"),
        ("confirm", ""),
    ):
        assert not (await world.service.press(boss, action, value)).ok
    assert await keys_snapshot(world) == before
