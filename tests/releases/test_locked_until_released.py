"""Paced release through the engine: a lesson the cohort's schedule holds back is locked with
the day it opens (menu, strip, a press, an old button), on Slack and Discord cards alike, and
opens when the clock reaches that day."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.course.models import Module
from bot.domain.messages import Message, ProgressStrip
from bot.releases.jobs import is_release
from bot.render.discord import render_discord
from bot.render.slack import render_slack
from bot.render.terminal import render_terminal
from tests.cohorts.conftest import admin
from tests.releases.conftest import ReleaseWorld, reader, weekly

DAY = 24 * 3600


def strip_of(messages: list[Message]) -> ProgressStrip:
    return next(b for m in messages for b in m.blocks if isinstance(b, ProgressStrip))


def slack_context(message: Message) -> str:
    """The strip as Slack shows it: the context block of the first rendered message."""
    [payload] = render_slack(message)
    return "\n".join(e["text"] for b in payload.blocks if b["type"] == "context" for e in b["elements"])


def discord_footer(message: Message) -> str:
    [payload] = render_discord(message)
    return str(payload.embeds[-1]["footer"]["text"])


async def test_a_held_back_lesson_says_when_it_opens_and_opens_on_that_day(
    world: ReleaseWorld, module: Module
) -> None:
    await weekly(world, "UADA")
    ada = await reader(world, "UADA")  # lesson 1 read: by the course's rules lesson 2 is open now
    lesson2 = module.lessons[1]

    menu = await ada.command("menu")
    strip = strip_of(menu)
    l2 = next(u for u in strip.units if u.label == "L2")
    assert (l2.status, l2.opens) == ("scheduled", "Tue 8 Dec")
    assert "Lesson 2 opens on Tue 8 Dec." in ada.text()
    assert lesson2.id not in [b.arg for m in menu for b in m.buttons if b.action == "open"]
    # The strip as a phone shows it, on both platforms, with the legend for the mark.
    card = next(m for m in menu if any(isinstance(b, ProgressStrip) for b in m.blocks))
    for shown in (slack_context(card), discord_footer(card), render_terminal(card).text):
        assert "L2 🗓 Tue 8 Dec" in shown and "L3 🗓 Tue 15 Dec" in shown
        assert "🗓 opens on the day shown" in shown

    # Pressing to open it (with the current token, or an old one) says when, and changes nothing.
    token = menu[0].buttons[0].token
    for pressed_token in (token, "1"):
        from bot.domain.events import Press

        await ada.send(Press(actor=ada.actor, action="open", arg=lesson2.id, token=pressed_token))
        assert ada.notices() == ["Lesson 2 opens on Tue 8 Dec."]
    await ada.say("continue")  # the Continue after lesson 1 skips the held-back lesson
    assert "Lesson 2" not in (ada.shown[0].heading or "")

    world.clock.set(world.clock.now() + 7 * DAY - 10 * 3600 - 1)  # Mon 7 Dec 23:59:59 UTC
    await ada.command("menu")
    assert "Lesson 2 opens on Tue 8 Dec." in ada.text()
    world.clock.advance(1)  # Tue 8 Dec 00:00 UTC
    menu = await ada.command("menu")
    assert next(u for u in strip_of(menu).units if u.label == "L2").status == "open"
    assert "Lesson 2 opens" not in ada.text() and "Lesson 3 opens on Tue 15 Dec." in ada.text()
    opened = await ada.press("open", lesson2.id)
    assert lesson2.title in (opened[0].heading or "")


async def test_release_off_holds_nothing_back_and_a_learner_outside_the_schedule_is_free(
    world: ReleaseWorld, module: Module
) -> None:
    await weekly(world, "UADA")
    assert (await world.say(admin(), "policy spring release off")).ok
    ada = await reader(world, "UADA")
    menu = await ada.command("menu")
    assert all(u.status != "scheduled" for u in strip_of(menu).units)
    assert module.lessons[1].id in [b.arg for m in menu for b in m.buttons if b.action == "open"]
    assert "🗓" not in slack_context(menu[0])


async def test_fixed_dates_and_bad_values_are_refused_clearly(world: ReleaseWorld) -> None:
    boss = admin()
    await world.say(boss, "create spring")
    shown = await world.say(boss, "policy spring")
    assert "`release` **off** (default)" in shown.text
    for text, says in (
        ("policy spring release every 7d", "set `start-date` first"),
        ("policy spring release sometimes", "`release` takes `every 7d`"),
        ("policy spring release every 0d", "`release` takes `every 7d`"),
        ("policy spring release 2026-12-14,2026-12-07,2026-12-21", "`release` takes `every 7d`"),
        ("policy spring release 2026-12-07,2026-12-14", "so 3 dates (lessons 2–4), not 2"),
        ("policy spring release 2026-12-07,2026-12-32,2026-12-21", "`release` takes `every 7d`"),
    ):
        answer = await world.say(boss, text)
        assert not answer.ok and says in answer.text and "Nothing changed." in answer.text, (
            text,
            answer.text,
        )
    cohort = await world.store.get(admin().home, "spring")
    assert cohort is not None and cohort.settings.release is None

    dates = await world.say(boss, "policy spring release 2026-12-07, 2026-12-14, 2026-12-21")
    assert dates.ok and "`release` is now 2026-12-07,2026-12-14,2026-12-21 (was off)" in dates.title
    # A start-date on or after the first release date is refused too.
    late = await world.say(boss, "policy spring start-date 2026-12-07")
    assert not late.ok and "must come after `start-date`" in late.text
    assert (await world.say(boss, "policy spring start-date 2026-12-01")).ok
    assert (await world.say(boss, "policy spring release every 7d")).ok
    gone = await world.say(boss, "policy spring start-date none")
    assert not gone.ok and "set `start-date` first" in gone.text
    shown = await world.say(boss, "policy spring")
    assert "`release` **every 7d** (default off)" in shown.text
    audit = await world.say(boss, "audit spring")
    assert "policy · release off → 2026-12-07,2026-12-14,2026-12-21" in audit.text


async def test_release_days_begin_in_the_cohorts_time_zone(world: ReleaseWorld, module: Module) -> None:
    await weekly(world, "UADA")
    boss = admin()
    assert (await world.say(boss, "policy spring timezone Pacific/Auckland")).ok
    # Lesson 2 opens at 00:00 on Tue 8 Dec in Auckland (13 hours ahead): Mon 7 Dec 11:00 UTC,
    # and its DM is planned for 09:00 there (Mon 7 Dec 20:00 UTC).
    opens = datetime(2026, 12, 7, 11, 0, tzinfo=UTC).timestamp()
    runs = sorted(job.run_at for job in await world.jobs.waiting() if is_release(job))
    assert runs[0] == opens + 9 * 3600
    ada = await reader(world, "UADA")
    world.clock.set(opens - 1)
    await ada.command("menu")
    assert "Lesson 2 opens on Tue 8 Dec." in ada.text()
    world.clock.set(opens)
    await ada.command("menu")
    assert "Lesson 2 opens" not in ada.text()
