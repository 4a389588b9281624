"""`/cohort policy`: a cohort's settings shown, changed, and in force for its learners."""

from __future__ import annotations

from bot.cohorts.models import Cohort, Tenant
from bot.cohorts.policy import nudge_policy
from bot.nudges.policy import NudgePolicy, QuietHours
from tests.cohorts.conftest import World, admin, member
from tests.cohorts.test_cohort_commands import state_of
from tests.engine.driver import Learner
from tests.engine.test_journey import do_lessons_quizzes_labs, practise_if_due, sit_test

T1 = Tenant(platform="slack", tenant="T1")


def buttons(learner: Learner) -> list[str]:
    return [b.label for m in learner.shown for b in m.buttons]


async def cohort(world: World, name: str = "spring") -> Cohort:
    found = await world.store.get(T1, name)
    assert found is not None
    return found


async def started(world: World, user: str) -> Learner:
    learner = Learner(world.engine, user=user, tenant="T1")
    await learner.command("start")
    return learner


async def fail_once_at_the_test(learner: Learner, module) -> None:  # type: ignore[no-untyped-def]
    await learner.command("menu")
    await learner.press("open", module.test.id)
    await sit_test(learner, module, right=3)
    assert "Not passed yet" in learner.text()


async def test_policy_shown_with_defaults_then_changed_and_audited(world: World) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    shown = await world.say(boss, "policy spring")
    assert shown.ok and "`spring` policy" in shown.title
    assert "`test-attempts` **3** (default)" in shown.text
    assert "`cooldown` **0m** (default)" in shown.text
    assert "`test-open-early` **off** (default)" in shown.text
    assert "`start-date` **none** (default)" in shown.text

    changed = await world.say(boss, "policy spring cooldown 2h")
    assert changed.ok and "`cooldown` is now 2h (was 0m)" in changed.title
    assert (await cohort(world)).settings.cooldown_minutes == 120
    assert (await world.say(boss, "policy spring cooldown 90")).ok
    assert (await cohort(world)).settings.cooldown_minutes == 90
    assert (await world.say(boss, "policy spring cooldown 1d")).ok
    assert (await world.say(boss, "policy test-attempts 5")).ok  # the tenant's only cohort
    assert (await world.say(boss, "policy spring test-open-early on")).ok
    assert (await world.say(boss, "policy spring start-date 2027-01-11")).ok
    settings = (await cohort(world)).settings
    assert (settings.cooldown_minutes, settings.test_attempts, settings.test_open_early) == (1440, 5, True)
    assert str(settings.start_date) == "2027-01-11"
    again = await world.say(boss, "policy spring")
    assert "`cooldown` **1d** (default 0m)" in again.text
    assert "`test-attempts` **5** (default 3)" in again.text
    assert "`test-open-early` **on** (default off)" in again.text
    audit = await world.say(boss, "audit spring")
    assert "policy · cooldown 0m → 2h" in audit.text and "policy · test-attempts 3 → 5" in audit.text


async def test_a_bad_key_or_value_is_refused_in_one_line_and_changes_nothing(world: World) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    before = await cohort(world)
    for text, says in (
        ("policy spring colour blue", "`colour` is not a policy key; the keys are `test-attempts`"),
        ("policy spring test-attempts 0", "`test-attempts` cannot be `0`"),
        ("policy spring test-attempts lots", "`test-attempts` takes a whole number"),
        (
            "policy spring cooldown soon",
            "`cooldown` takes a duration such as `3d`, `12h` or `30m`, or a number of minutes",
        ),
        ("policy spring test-open-early maybe", "`test-open-early` takes `on` or `off`"),
        ("policy spring start-date 2026-13-01", "`start-date` takes a date as YYYY-MM-DD"),
        ("policy spring cooldown", "Give `cooldown` a value"),
    ):
        answer = await world.say(boss, text)
        assert not answer.ok and says in answer.title, (text, answer.title)
        assert "\n" not in answer.title and answer.sections == (), text
    assert await cohort(world) == before
    audit = await world.say(boss, "audit spring")
    assert "policy" not in audit.text


async def test_a_plain_member_can_neither_see_nor_change_the_policy(world: World) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "enrol spring <@U1>")
    before = await cohort(world)
    for text in ("policy spring", "policy spring test-attempts 9", "policy test-open-early on"):
        refused = await world.say(member("U1"), text)
        assert not refused.ok and "Only this cohort's facilitators" in refused.title, text
    assert await cohort(world) == before
    state = await state_of(world, "U1")
    assert state is not None and state.terms is not None and state.terms.test_attempts == 3


async def test_the_cohorts_attempt_limit_holds_for_its_learners(world: World, module) -> None:
    boss = admin()
    for name, attempts in (("spring", 1), ("autumn", 5)):
        await world.say(boss, f"create {name}")
        await world.say(boss, f"policy {name} test-attempts {attempts}")
        await world.say(boss, f"policy {name} test-open-early on")
    await world.say(boss, "enrol spring <@U1>")
    await world.say(boss, "enrol autumn <@U2>")
    one, five = await started(world, "U1"), await started(world, "U2")

    await fail_once_at_the_test(one, module)
    assert "You have used all 1 attempts" in one.text()
    assert "Retake the test" not in buttons(one)
    await one.command("menu")
    await one.press("open", module.test.id)
    assert "You have used all 1 attempts" in one.text() and "Begin the test" not in buttons(one)

    await fail_once_at_the_test(five, module)
    assert "You have used all" not in five.text()
    await sit_test(five, module, right=13, action="retake")
    assert "Passed" in five.text()
    state = await state_of(world, "U2")
    assert state is not None and state.progress.test_started == 2


async def test_the_cohorts_cooldown_holds_for_its_learners(world: World, module) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "policy spring cooldown 30m")
    await world.say(boss, "policy spring test-open-early on")
    await world.say(boss, "enrol spring <@U1>")
    learner = await started(world, "U1")
    await fail_once_at_the_test(learner, module)
    assert "You can retake the test in 30 minutes." in learner.text()
    world.clock[0] += 29 * 60
    assert await practise_if_due(learner)  # the round before a retake; its end shows the intro
    assert "You can retake the test in 1 minutes." in learner.text() and "Begin the test" not in buttons(
        learner
    )
    world.clock[0] += 60
    await learner.command("menu")
    await learner.press("open", module.test.id)
    await sit_test(learner, module, right=13)
    assert "Passed" in learner.text()


async def test_test_open_early_opens_the_test_at_once(world: World, module) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "enrol spring <@U1> <@U2>")
    closed = await started(world, "U1")
    await closed.command("menu")
    assert "Module test" not in buttons(closed)

    assert (await world.say(boss, "policy spring test-open-early on")).ok
    opened = await started(world, "U2")
    await opened.command("menu")
    assert "Module test" in buttons(opened)
    await closed.command("menu")  # already under way when the policy changed: it reaches them too
    assert "Module test" in buttons(closed)
    await closed.press("open", module.test.id)
    assert "Begin the test" in buttons(closed)


async def test_a_learner_outside_any_cohort_keeps_the_modules_defaults(world: World, module) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "policy spring test-attempts 1")
    await world.say(boss, "policy spring test-open-early on")
    loner = await started(world, "U9")
    await loner.command("menu")
    assert "Module test" not in buttons(loner)
    await loner.press("open", module.lessons[0].id)
    await do_lessons_quizzes_labs(loner, module)
    await fail_once_at_the_test(loner, module)
    assert "You have used all" not in loner.text()
    await loner.command("menu")
    await loner.press("open", module.test.id)
    assert "Attempts used: 1 of 3" in loner.text()
    await sit_test(loner, module, right=3)
    assert "Not passed yet" in loner.text()
    state = await state_of(world, "U9")
    assert state is not None and state.terms is None and state.progress.test_started == 2


async def test_a_policy_change_reaches_learners_enrolled_before_it(world: World, module) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    await world.say(boss, "enrol spring <@U1> <@U2>")  # U2 has not started when the policy changes
    first = await started(world, "U1")
    changed = await world.say(boss, "policy spring test-attempts 1")
    assert "2 learners are under it now." in changed.text
    await world.say(boss, "policy spring test-open-early on")
    late = await started(world, "U2")
    for learner in (first, late):
        await fail_once_at_the_test(learner, module)
        assert "You have used all 1 attempts" in learner.text()

    # Leaving the cohort puts the learner back under the module's defaults.
    assert (await world.say(boss, "remove spring <@U1>")).ok
    state = await state_of(world, "U1")
    assert state is not None and state.terms is None
    await first.command("menu")
    assert "Module test" not in buttons(first)  # no longer opened early for them


async def test_pass_role_is_read_from_a_mention_or_an_id_and_refused_on_slack(world: World) -> None:
    from bot.cohorts import policy

    key = policy.lookup("pass-role")
    base = policy.defaults(world.engine.module)
    assert policy.changed(base, key, "<@&520000000000000009>").pass_role == "520000000000000009"
    assert policy.changed(base, key, "520000000000000009").pass_role == "520000000000000009"
    assert policy.changed(base.model_copy(update={"pass_role": "5"}), key, "none").pass_role is None
    try:
        policy.changed(base, key, "@Graduates")
    except policy.PolicyError as error:
        assert "a role, as a mention" in str(error) and "`@Graduates`" in str(error)
    else:
        raise AssertionError("a plain name is not a role")

    boss = admin()
    await world.say(boss, "create spring")
    refused = await world.say(boss, "policy spring pass-role <@&520000000000000009>")
    assert not refused.ok and "Share my pass" in refused.title
    assert (await cohort(world)).settings.pass_role is None


async def test_the_nudge_keys_are_shown_changed_and_make_the_cohorts_nudge_policy(world: World) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    shown = (await world.say(boss, "policy spring")).text
    for line in (
        "`nudge-after` **3d** (default)",
        "`max-nudges` **3** (default)",
        "`quiet-hours` **21-8** (default)",
        "`weekends` **on** (default)",
        "`timezone` **UTC** (default)",
    ):
        assert line in shown
    assert nudge_policy((await cohort(world)).settings) == NudgePolicy()
    for text, says in (
        ("policy spring nudge-after 12h", "`nudge-after` is now 12h (was 3d)"),
        ("policy spring max-nudges 5", "`max-nudges` is now 5 (was 3)"),
        ("policy spring quiet-hours 22-7", "`quiet-hours` is now 22-7 (was 21-8)"),
        ("policy spring weekends off", "`weekends` is now off (was on)"),
        ("policy spring timezone Europe/Berlin", "`timezone` is now Europe/Berlin (was UTC)"),
    ):
        answer = await world.say(boss, text)
        assert answer.ok and says in answer.title, (text, answer.title)
    assert nudge_policy((await cohort(world)).settings) == NudgePolicy(
        nudge_after_s=12 * 3600,
        max_nudges=5,
        quiet_hours=QuietHours(start=22, end=7),
        weekends=False,
        timezone="Europe/Berlin",
    )
    assert (await world.say(boss, "policy spring quiet-hours off")).ok
    assert (await world.say(boss, "policy spring nudge-after 30m")).ok
    settings = (await cohort(world)).settings
    assert (settings.quiet_hours, settings.nudge_after_s) == (None, 1800)
    again = (await world.say(boss, "policy spring")).text
    assert "`quiet-hours` **off** (default 21-8)" in again and "`nudge-after` **30m** (default 3d)" in again
    audit = await world.say(boss, "audit spring")
    assert (
        "policy · nudge-after 3d → 12h" in audit.text
        and "policy · timezone UTC → Europe/Berlin" in audit.text
    )


async def test_a_bad_nudge_setting_is_refused_in_one_line_and_changes_nothing(world: World) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    before = await cohort(world)
    for text, says in (
        ("policy spring nudge-after soon", "`nudge-after` takes a duration such as `3d`, `12h` or `30m`"),
        ("policy spring nudge-after 3", "`nudge-after` takes a duration such as `3d`"),
        ("policy spring nudge-after 0m", "`nudge-after` cannot be `0m`: it must be at least 1 minute."),
        ("policy spring max-nudges 99", "`max-nudges` cannot be `99`"),
        ("policy spring quiet-hours 25-8", "`quiet-hours` takes hours such as `21-8`"),
        ("policy spring weekends sometimes", "`weekends` takes `on` or `off`"),
        ("policy spring timezone Berlin", "`timezone` takes an IANA time zone such as `Europe/Berlin`"),
    ):
        answer = await world.say(boss, text)
        assert not answer.ok and says in answer.title, (text, answer.title)
        assert "\n" not in answer.title, text
    assert await cohort(world) == before
