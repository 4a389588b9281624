"""Every /cohort subcommand through the service, on the real engine and Redis."""

from __future__ import annotations

from bot.domain.messages import Paragraph
from bot.domain.state import LearnerState
from bot.reports import snapshot_state
from tests.cohorts.conftest import World, admin, member
from tests.engine.driver import Learner
from tests.engine.test_journey import do_lessons_quizzes_labs, sit_test


def notices_to(world: World, user: str) -> list[str]:
    return [
        block.text
        for actor, message in world.outbox.sent
        if actor.user == user
        for block in message.blocks
        if isinstance(block, Paragraph)
    ]


async def state_of(world: World, user: str, tenant: str = "T1") -> LearnerState | None:
    actor = Learner(world.engine, user=user, tenant=tenant).actor
    (snapshot,) = await world.learners.snapshots([actor])
    return snapshot_state(snapshot)[0]


async def test_create_list_enrol_and_welcome(world: World) -> None:
    boss = admin()
    created = await world.say(boss, "create spring")
    assert created.ok and "spring" in created.title
    listed = await world.say(boss, "list")
    assert "**spring**: 0 learners" in listed.text

    enrolled = await world.say(boss, "enrol spring <@U1> <@U2|bea> <@U3>")
    assert enrolled.ok and enrolled.title.startswith("Enrolled 3 in `spring`")
    welcomes = [(actor.user, message) for actor, message in world.outbox.sent]
    assert sorted(user for user, _ in welcomes) == ["U1", "U2", "U3"]
    start = welcomes[0][1].actions[0]
    assert start.label == "Start"

    # The Start button starts the course like /tutor start.
    learner = Learner(world.engine, user="U1", tenant="T1")
    await learner.press(start.action, via=start)
    assert "The Machine Learning Engineer" in learner.text()

    again = await world.say(boss, "enrol <@U1> <@U4>")  # one cohort: its name may be left out
    assert again.title.startswith("Enrolled 1") and "Already in `spring`: @U1" in again.text


async def test_a_learner_is_in_one_cohort_per_tenant(world: World) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "create autumn")
    await world.say(boss, "enrol spring <@U1>")
    moved = await world.say(boss, "enrol autumn <@U1> <@U2>")
    assert "In cohort `spring` already" in moved.text and "@U1" in moved.text
    assert await world.store.cohort_of(boss.home, "U1") == "spring"
    assert [e.user for e in await world.store.roster(boss.home, "autumn")] == ["U2"]
    # Removed from spring, they may join autumn; their progress stays.
    assert (await world.say(boss, "remove spring <@U1>")).ok
    assert (await world.say(boss, "enrol autumn <@U1>")).title.startswith("Enrolled 1")


async def test_enrol_a_channel_and_a_role(world: World) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    world.platform.channels["C1"] = ["U1", "U2"]
    world.platform.roles = {"S9": ["U2", "U3"]}
    world.platform.names = {"U1": "Ada", "U3": "Cy"}
    answer = await world.say(boss, "enrol spring <#C1|general> <!subteam^S9|@cohort>")
    assert answer.title.startswith("Enrolled 3")
    assert {e.user for e in await world.store.roster(boss.home, "spring")} == {"U1", "U2", "U3"}
    exported = await world.say(boss, "export spring")  # names are looked up for the export
    rows = exported.files[0].content.decode().splitlines()[1:]
    assert sorted(row.split(",")[:2] for row in rows) == [["U1", "Ada"], ["U2", ""], ["U3", "Cy"]]


async def test_role_enrolment_without_the_members_intent_says_so_and_changes_nothing(world: World) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    world.platform.roles = None
    answer = await world.say(boss, "enrol spring <@U1> <!subteam^S9>")
    assert not answer.ok and "Server Members intent" in answer.title
    assert await world.store.roster(boss.home, "spring") == []


async def test_facilitator_add_and_remove_shares_the_cohort(world: World) -> None:
    boss, helper = admin(), member("UHELP")
    await world.say(boss, "create spring")
    await world.say(boss, "enrol spring <@U1>")
    assert not (await world.say(helper, "progress spring")).ok
    assert (await world.say(boss, "facilitator spring add <@UHELP>")).ok
    assert (await world.say(helper, "progress spring")).ok
    assert (await world.say(helper, "list")).text.count("**") == 2  # sees the one cohort it facilitates
    assert not (await world.say(boss, "facilitator spring add <@UHELP>")).ok  # already
    assert (await world.say(boss, "facilitator spring remove <@UHELP>")).ok
    refused = await world.say(helper, "progress spring")
    assert not refused.ok and "Only this cohort's facilitators" in refused.title


async def test_unlock_opens_the_test_and_tells_the_learner(world: World) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "enrol spring <@U1>")
    learner = Learner(world.engine, user="U1", tenant="T1")
    await learner.command("start")
    await learner.command("menu")
    assert "Module test" not in [b.label for m in learner.shown for b in m.buttons]

    answer = await world.say(boss, "unlock spring <@U1> joined late")
    assert answer.ok and "Opened the module test" in answer.title
    assert "Your facilitator opened the module test for you." in notices_to(world, "U1")
    await learner.command("menu")
    assert "Module test" in [b.label for m in learner.shown for b in m.buttons]
    again = await world.say(boss, "unlock spring <@U1>")
    assert not again.ok and "already has the module test open" in again.title
    audit = await world.say(boss, "audit spring")
    assert "unlock · @U1 · “joined late”" in audit.text


async def test_extra_attempts_let_a_learner_who_used_them_up_sit_again(world: World, module) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "enrol spring <@U1>")
    learner = Learner(world.engine, user="U1", tenant="T1")
    await learner.command("start")
    await do_lessons_quizzes_labs(learner, module)
    await learner.press("open", module.test.id)
    await sit_test(learner, module, right=3)
    for _ in range(module.test.max_attempts - 1):
        await sit_test(learner, module, right=3, action="retake")
    assert "You have used all 3 attempts" in learner.text()
    roster = await world.say(boss, "progress spring")
    assert "test attempts used up" in roster.text

    answer = await world.say(boss, "attempts spring <@U1> +2 sick on test day")
    assert answer.ok
    assert "Your facilitator granted you 2 more attempts at the module test." in notices_to(world, "U1")
    await learner.command("menu")
    await learner.press("open", module.test.id)
    assert "Attempts used: 3 of 5" in learner.text()
    await sit_test(learner, module, right=13)
    assert "Passed" in learner.text()
    refused = await world.say(boss, "attempts spring <@U1> +1")
    assert not refused.ok and "already passed" in refused.title


async def test_reset_needs_its_requesters_confirm_once_and_undo_restores(world: World, module) -> None:
    boss, other = admin(), admin("UOTHER")
    await world.say(boss, "create spring")
    await world.say(boss, "enrol spring <@U1>")
    learner = Learner(world.engine, user="U1", tenant="T1")
    await learner.command("start")
    await do_lessons_quizzes_labs(learner, module)
    before = await state_of(world, "U1")
    assert before is not None and len(before.progress.quizzes) == 4

    asked = await world.say(boss, "reset spring <@U1> quiz2 retake after the workshop")
    confirm = next(b for b in asked.buttons if b.action == "confirm")
    assert await state_of(world, "U1") == before  # nothing yet: it waits for Confirm

    stranger = await world.service.press(other, "confirm", confirm.value)
    assert not stranger.ok and "Only @UADMIN" in stranger.plain_title
    done = await world.service.press(boss, "confirm", confirm.value)
    assert done.ok and "Reset Lesson 2 quiz" in done.title
    after = await state_of(world, "U1")
    assert after is not None and module.lessons[1].quiz.id not in after.progress.quizzes
    assert len(after.progress.quizzes) == 3
    assert "Your facilitator reset Lesson 2 quiz for you." in notices_to(world, "U1")
    twice = await world.service.press(boss, "confirm", confirm.value)
    assert not twice.ok and "already confirmed" in twice.title
    assert await state_of(world, "U1") == after

    undo = next(b for b in done.buttons if b.action == "undo")
    restored = await world.service.press(boss, "undo", undo.value)
    assert restored.ok
    final = await state_of(world, "U1")
    assert final is not None and final.progress == before.progress
    assert not (await world.say(boss, "undo spring <@U1>")).ok  # nothing left to undo
    audit = (await world.say(boss, "audit spring")).text
    assert "reset · @U1 ·" in audit and "“retake after the workshop”" in audit and "undo · @U1" in audit


async def test_reset_all_and_cancel(world: World, module) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "enrol spring <@U1>")
    learner = Learner(world.engine, user="U1", tenant="T1")
    await learner.command("start")
    await learner.read_lesson()
    asked = await world.say(boss, "reset <@U1> all")
    cancel = next(b for b in asked.buttons if b.action == "cancel")
    assert (await world.service.press(boss, "cancel", cancel.value)).title.startswith("Reset cancelled")
    assert not (await world.service.press(boss, "confirm", cancel.value)).ok
    asked = await world.say(boss, "reset <@U1> all")
    confirm = next(b for b in asked.buttons if b.action == "confirm")
    assert (await world.service.press(boss, "confirm", confirm.value)).ok
    state = await state_of(world, "U1")
    assert state is not None and state.progress.lessons_done == [] and state.step.at == "menu"


async def test_only_the_last_reset_is_undone(world: World, module) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "enrol spring <@U1>")
    learner = Learner(world.engine, user="U1", tenant="T1")
    await learner.command("start")
    await do_lessons_quizzes_labs(learner, module)
    for unit in ("quiz1", "quiz2"):
        asked = await world.say(boss, f"reset spring <@U1> {unit}")
        await world.service.press(
            boss, "confirm", next(b for b in asked.buttons if b.action == "confirm").value
        )
    assert (await world.say(boss, "undo spring <@U1>")).ok
    state = await state_of(world, "U1")
    assert state is not None
    assert module.lessons[1].quiz.id in state.progress.quizzes  # the last reset is undone
    assert module.lessons[0].quiz.id not in state.progress.quizzes  # the one before stays


async def test_the_audit_log_is_capped_per_cohort(world: World) -> None:
    from bot.cohorts.audit import AuditLog
    from bot.cohorts.models import AuditEntry

    log = AuditLog(world.store.client, world.store.keys, cap=3)
    home = admin().home
    for n in range(5):
        await log.write(home, "spring", AuditEntry(at=n, by="F", action=f"a{n}"))
    await log.write(home, "autumn", AuditEntry(at=9, by="F", action="other"))
    assert [e.action for e in await log.last(home, "spring", 10)] == ["a4", "a3", "a2"]
    assert [e.action for e in await log.last(home, "autumn", 10)] == ["other"]


async def test_a_grant_before_the_learner_starts_keeps_their_welcome(world: World, module) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "enrol spring <@U1>")
    assert (await world.say(boss, "attempts spring <@U1> +1 starts late")).ok
    roster = await world.say(boss, "progress spring")
    assert roster.sections[0].startswith("1 enrolled · 0 started")
    learner = Learner(world.engine, user="U1", tenant="T1")
    await learner.command("start")
    assert "Welcome to" in learner.text() and "The Machine Learning Engineer" in learner.text()
    state = await state_of(world, "U1")
    assert state is not None and state.progress.extra_attempts == 1 and state.started
