"""`/cohort open NAME UNIT [@learner]`: a facilitator opens a lesson ahead of the schedule for
the whole cohort or one learner, audited; the learners hear of it once (the release itself does
not tell them again); bad or pointless requests are refused and change nothing."""

from __future__ import annotations

import pytest

from bot.cohorts.commands import Open, UserRef
from bot.cohorts.parser import BadInput, parse
from bot.course.models import Module
from bot.domain.messages import ProgressStrip
from tests.cohorts.conftest import admin, member
from tests.engine.driver import Learner
from tests.releases.conftest import ReleaseWorld, reader, scheduler, weekly
from tests.releases.test_release_dms import ANNOUNCED

DAY = 86400


def statuses(learner: Learner) -> dict[str, str]:
    strip = next(b for m in learner.shown for b in m.blocks if isinstance(b, ProgressStrip))
    return {u.label: u.status for u in strip.units if u.label.startswith("L")}


def release_dms(world: ReleaseWorld) -> list[tuple[str, str]]:
    out = [(a.user, m.heading or "") for a, m in world.outbox.sent if (m.heading or "").endswith("is open")]
    world.outbox.sent.clear()
    return out


async def test_open_early_for_one_learner_then_for_everyone(world: ReleaseWorld, module: Module) -> None:
    await weekly(world, "UADA", "UBEN")
    ada, ben = await reader(world, "UADA"), await reader(world, "UBEN")
    world.outbox.sent.clear()
    boss = admin()

    one = await world.say(boss, "open spring L2 <@UADA> ahead for the trip")
    assert one.ok and "Opened Lesson 2 for @UADA ahead of the schedule." in one.text, one.text
    [(to, said)] = [(a.user, m) for a, m in world.outbox.sent]
    assert to == "UADA" and "Your facilitator opened Lesson 2 for you" in said.blocks[0].text  # type: ignore[union-attr]
    assert [b.action for b in said.buttons] == ["go"]
    world.outbox.sent.clear()
    await ada.command("menu")
    await ben.command("menu")
    assert statuses(ada)["L2"] == "open" and statuses(ben)["L2"] == "scheduled"
    opened = await ada.press("open", module.lessons[1].id)
    assert opened[0].heading == f"Lesson 2 · {module.lessons[1].title}"
    again = await world.say(boss, "open spring L2 <@UADA>")
    assert not again.ok and "already has Lesson 2 open" in again.text

    # At the release Ben hears of it; Ada, told already, does not hear it twice.
    processes = [scheduler(world, module), scheduler(world, module)]
    world.clock.set(ANNOUNCED)
    for process in processes:
        await process.run_until_idle()
    assert release_dms(world) == [("UBEN", "Lesson 2 is open")]

    # Lesson 3 for everyone, a week early: both have it at once, and are told at once, once.
    everyone = await world.say(boss, "open spring L3")
    assert everyone.ok and "Opened Lesson 3 for everyone in `spring`." in everyone.text, everyone.text
    await ben.command("menu")
    assert statuses(ben)["L3"] == "locked"  # open by the schedule; Lesson 2 is still to read
    assert "Lesson 3 opens" not in ben.text()
    for process in processes:
        await process.run_until_idle()
    assert sorted(release_dms(world)) == [("UADA", "Lesson 3 is open"), ("UBEN", "Lesson 3 is open")]
    world.clock.set(ANNOUNCED + 7 * DAY)  # the day Lesson 3 was scheduled for
    for process in processes:
        await process.run_until_idle()
    assert release_dms(world) == []
    audit = await world.say(boss, "audit spring")
    assert "open · @UADA · L2 · “ahead for the trip”" in audit.text
    assert "open · L3 for everyone" in audit.text


async def test_bad_or_pointless_open_requests_are_refused_and_change_nothing(
    world: ReleaseWorld, module: Module
) -> None:
    boss = admin()
    await world.say(boss, "create plain")
    await world.say(boss, "enrol plain <@UCAL>")
    off = await world.say(boss, "open plain L2")
    assert not off.ok and "releases nothing on a schedule (`release` is off)" in off.text
    await weekly(world, "UADA")
    for text, says in (
        ("open spring test", "`/cohort unlock NAME @user` opens it early"),
        ("open spring L9", "`L9` is not a lesson of this module: use L1…L4"),
        ("open spring L1", "Lesson 1 is open for `spring` already"),
        ("open spring L2 <@UNOBODY>", "@UNOBODY is not in `spring`"),
        ("open spring", "Say which lesson: `/cohort open NAME L2`"),
        ("open spring lesson-9", "`lesson-9` is not a lesson of this module"),
        ("open", "Say which lesson"),
    ):
        answer = await world.say(boss, text)
        assert not answer.ok and says in answer.text, (text, answer.text)
    assert not (await world.say(member("UADA"), "open spring L2")).ok  # a learner has no rights
    cohort = await world.store.get(boss.home, "spring")
    assert cohort is not None and cohort.opened_through == 0
    assert "open" not in (await world.say(boss, "audit spring")).text.split(" · ")
    world.clock.set(ANNOUNCED)
    late = await world.say(boss, "open spring L2")
    assert not late.ok and "Lesson 2 is open for `spring` already" in late.text


@pytest.mark.parametrize(
    ("text", "cohort", "unit", "user", "reason"),
    [
        ("open spring L2", "spring", "L2", None, ""),
        ("open L2", None, "L2", None, ""),
        ("open spring quiz3 <@U0123ABCD> back from leave", "spring", "quiz3", "U0123ABCD", "back from leave"),
        ("open L2 <@U0123ABCD>", None, "L2", "U0123ABCD", ""),
        # Discord sends its options as NAME, then the user, then the unit, then the reason.
        ("open spring <@123456789012345678> L2 trip", "spring", "L2", "123456789012345678", "trip"),
        ("open <@123456789012345678> all", None, "all", "123456789012345678", ""),
    ],
)
def test_open_reads_every_order_the_platforms_send(
    text: str, cohort: str | None, unit: str, user: str | None, reason: str
) -> None:
    assert parse(text) == Open(
        cohort=cohort, unit=unit, user=UserRef(id=user) if user else None, reason=reason
    )


def test_open_without_a_lesson_is_refused() -> None:
    with pytest.raises(BadInput, match="Say which lesson"):
        parse("open <@U0123ABCD>")
