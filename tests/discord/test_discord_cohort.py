"""`/cohort` through the real discord.py client (app commands, dynamic buttons, REST) against
the fake API: rights, every subcommand, role and channel enrolment, files, limits."""

from __future__ import annotations

import csv
import io
from typing import Any

from bot.cohorts.parser import WORDS
from bot.cohorts.service import PAGE_SIZE
from bot.render.discord import DiscordPayload
from bot.render.limits import discord_problems
from tests.discord.harness import GUILD, MANAGE_GUILD, DiscordHarness, command_payload, role_object, user

BOSS = "510000000000000001"
PLAIN = "510000000000000002"
HELPER = "510000000000000003"
ROLE = "520000000000000001"
L1, L2, L3 = "530000000000000001", "530000000000000002", "530000000000000003"


def text(answer: dict[str, Any]) -> str:
    return "\n".join(embed.get("description", "") for embed in answer.get("embeds", []))


def member(uid: str, *roles: str) -> dict[str, Any]:
    return {"user": user(uid), "roles": list(roles), "joined_at": "2026-01-01T00:00:00+00:00"}


async def boss(h: DiscordHarness, sub: str, **options: Any) -> dict[str, Any]:
    return await h.cohort(BOSS, sub, permissions=MANAGE_GUILD, **options)


def dm_text(h: DiscordHarness, uid: str) -> str:
    return "\n".join(
        f"{e.get('title', '')}\n{e.get('description', '')}"
        for m in h.api.in_channel(h.api.dm_of(uid))
        for e in m.get("embeds", [])
    )


async def test_the_command_is_registered_for_managers_and_still_checked(harness: DiscordHarness) -> None:
    group = next(c for c in harness.adapter.tree.get_commands() if c.name == "cohort")
    definition = group.to_dict(harness.adapter.tree)
    assert str(definition["default_member_permissions"]) == MANAGE_GUILD
    subcommands = {option["name"] for option in definition["options"]}
    assert subcommands == {
        "help", "list", "create", "enrol", "remove", "facilitator", "progress",
        "learner", "unlock", "attempts", "reset", "undo", "export", "audit",
        "items", "chart", "reveal", "policy", "open", "nudge", "channel",
    }  # fmt: skip
    assert subcommands == set(WORDS)  # every word the shared parser knows is a Discord subcommand
    # The client hides it from plain members, but a crafted request is refused on the server.
    refused = await harness.cohort(PLAIN, "create", name="spring")
    assert "Only members with Manage Server can create cohorts." in text(refused)
    assert harness.api.messages.get("x") is None


async def test_rights_manager_role_holder_plain_member_and_another_server(harness: DiscordHarness) -> None:
    assert "created" in text(await boss(harness, "create", name="spring"))
    assert "Only this cohort's facilitators" in text(await harness.cohort(PLAIN, "progress", name="spring"))
    added = await boss(harness, "facilitator", name="spring", op="add", role_id=ROLE)
    assert f"<@&{ROLE}>" in text(added) and "now facilitate" in text(added)
    holder = await harness.cohort(HELPER, "progress", name="spring", roles=(ROLE,))
    assert "has no learners yet" in text(holder)
    assert "Only this cohort's facilitators" in text(await harness.cohort(HELPER, "progress", name="spring"))
    # A manager of another server sees nothing of this one.
    elsewhere = await harness.cohort(
        BOSS, "progress", name="spring", guild="700000000000000099", permissions=MANAGE_GUILD
    )
    assert "no cohort called `spring`" in text(elsewhere)


async def test_every_subcommand_on_discord(harness: DiscordHarness, module) -> None:
    api = harness.api
    api.members[GUILD] = [member(L1), member(L2, ROLE), member(L3, ROLE), member(BOSS)]
    api.roles[GUILD] = [role_object(GUILD, "0"), role_object(ROLE, "0")]
    api.channels["700000000000000050"] = {
        "guild_id": GUILD,
        "permission_overwrites": [{"id": ROLE, "type": 0, "allow": str(1 << 10), "deny": "0"}],
    }
    assert "`help`: these words" in text(await boss(harness, "help"))
    await boss(harness, "create", name="spring")
    assert "Enrolled 1" in text(await boss(harness, "enrol", name="spring", user_id=L1))
    by_role = await boss(harness, "enrol", name="spring", role_id=ROLE)
    assert "Enrolled 2" in text(by_role)
    by_channel = await boss(harness, "enrol", name="spring", channel_id="700000000000000050")
    assert "Enrolled 0" in text(by_channel) and f"<@{L2}>" in text(by_channel)  # already in
    assert "Welcome to" in dm_text(harness, L1)
    assert "**spring**: 3 learners" in text(await boss(harness, "list"))
    roster = await boss(harness, "progress")  # the server's only cohort: the name may be left out
    assert "3 enrolled · 0 started" in text(roster) and f"<@{L3}>" in text(roster)
    assert "Has not started yet." in text(await boss(harness, "learner", user_id=L1))

    assert "Opened the module test" in text(await boss(harness, "unlock", user_id=L1, reason="late"))
    assert "Your facilitator opened the module test for you." in dm_text(harness, L1)
    assert "Granted" in text(await boss(harness, "attempts", user_id=L1, count=2))
    await harness.interaction(command_payload(L1, "start"))
    for _ in range(12):  # reads the first lesson through, so a reset has something to take
        await harness.dm_text(L1, "continue")
    assert "Lesson 1" in dm_text(harness, L1)

    asked = await boss(harness, "reset", user_id=L1, unit="all", reason="fresh start")
    assert "Reset all of their progress" in text(asked)
    stranger = await harness.cohort_click(HELPER, asked, "Confirm reset", permissions=MANAGE_GUILD)
    assert "Only <@" in text(stranger) and "can confirm it" in text(stranger)
    done = await harness.cohort_click(BOSS, asked, "Confirm reset", permissions=MANAGE_GUILD)
    assert "Reset all of their progress" in text(done) and "old record is kept" in text(done)
    assert "already confirmed" in text(
        await harness.cohort_click(BOSS, asked, "Confirm reset", permissions=MANAGE_GUILD)
    )
    undone = await harness.cohort_click(BOSS, done, "Undo", permissions=MANAGE_GUILD)
    assert "Restored what the last reset took" in text(undone)

    assert "Removed" in text(await boss(harness, "remove", user_id=L3))
    assert "now facilitates" in text(await boss(harness, "facilitator", op="add", user_id=HELPER))
    assert "no longer facilitates" in text(await boss(harness, "facilitator", op="remove", user_id=HELPER))
    audit = text(await boss(harness, "audit"))
    for word in ("create", "enrol", "unlock", "attempts", "reset", "undo", "remove", "facilitator add"):
        assert f"· {word}" in audit, word

    exported = await boss(harness, "export")
    assert "The files are in your DM with me." in text(exported)
    sent = [m for m in api.in_channel(api.dm_of(BOSS)) if m.get("files")]
    assert len(sent) == 1
    files = dict(sent[0]["files"])
    learners_csv = next(content for name, content in files.items() if "-learners-" in name)
    rows = {row["user"]: row for row in csv.DictReader(io.StringIO(learners_csv.decode()))}
    assert (
        set(rows) == {L1, L2} and rows[L1]["status"] == "in progress" and rows[L2]["status"] == "not started"
    )
    assert rows[L1]["display_name"] == f"u{L1[-3:]}"  # the member list's name for them


async def test_role_enrolment_without_the_members_intent_says_so(harness: DiscordHarness) -> None:
    harness.api.members_intent = False
    await boss(harness, "create", name="spring")
    answer = await boss(harness, "enrol", name="spring", role_id=ROLE)
    assert "Server Members intent" in text(answer) and "enrol people by @user" in text(answer)
    assert "has no learners yet" in text(await boss(harness, "progress", name="spring"))
    assert "Enrolled 1" in text(await boss(harness, "enrol", name="spring", user_id=L1))


async def test_a_300_learner_roster_pages_within_discord_limits(harness: DiscordHarness) -> None:
    learners = [str(540000000000000000 + n) for n in range(300)]
    harness.api.members[GUILD] = [member(uid, ROLE) for uid in learners]
    await boss(harness, "create", name="big")
    assert "Enrolled 300" in text(await boss(harness, "enrol", name="big", role_id=ROLE))
    page = await boss(harness, "progress", name="big")
    seen: set[str] = set()
    pages = 300 // PAGE_SIZE
    for number in range(1, pages + 1):
        payload = DiscordPayload(page.get("content", ""), page["embeds"], page.get("components", []))
        assert discord_problems(payload) == []
        assert f"page {number} of {pages}" in text(page)
        seen |= {uid for uid in learners if f"<@{uid}>" in text(page)}
        if number < pages:
            page = await harness.cohort_click(BOSS, page, "Next", permissions=MANAGE_GUILD)
    assert seen == set(learners)


async def test_bad_input_on_discord_gets_one_line_and_changes_nothing(harness: DiscordHarness) -> None:
    await boss(harness, "create", name="spring")
    # Discord's UI asks for 1 or more; a crafted payload with 0 is refused on the server too.
    zero = await boss(harness, "attempts", name="spring", user_id=L1, count=0)
    assert "`+N` must be a positive number" in text(zero)
    assert f"<@{L1}> is not in `spring`." in text(await boss(harness, "unlock", name="spring", user_id=L1))
    await boss(harness, "enrol", name="spring", user_id=L1)
    assert "`lab9` is not a unit of this module" in text(
        await boss(harness, "reset", name="spring", user_id=L1, unit="lab9")
    )
    await boss(harness, "create", name="empty")
    assert "no learners yet: there is nothing to export" in text(await boss(harness, "export", name="empty"))
    assert "There is no cohort called `autumn` here." in text(await boss(harness, "progress", name="autumn"))


def dm_buttons(h: DiscordHarness, uid: str) -> list[str]:
    return [
        str(part.get("label", ""))
        for m in h.api.in_channel(h.api.dm_of(uid))
        for row in m.get("components", [])
        for part in row.get("components", [])
    ]


async def test_policy_on_discord_shows_changes_and_reaches_the_learner(harness: DiscordHarness) -> None:
    group = next(c for c in harness.adapter.tree.get_commands() if c.name == "cohort")
    definition = group.to_dict(harness.adapter.tree)
    sub = next(o for o in definition["options"] if o["name"] == "policy")
    key = next(o for o in sub["options"] if o["name"] == "key")
    assert {choice["value"] for choice in key["choices"]} >= {
        "test-attempts", "cooldown", "test-open-early", "start-date",
    }  # fmt: skip
    await boss(harness, "create", name="spring")
    await boss(harness, "enrol", name="spring", user_id=L1)
    shown = text(await boss(harness, "policy", name="spring"))
    assert "`test-open-early` **off** (default)" in shown
    refused = await harness.cohort(PLAIN, "policy", name="spring", key="test-open-early", value="on")
    assert "Only this cohort's facilitators" in text(refused)
    bad = await boss(harness, "policy", name="spring", key="cooldown", value="soon")
    assert "`cooldown` takes a duration" in text(bad)
    changed = await boss(harness, "policy", name="spring", key="test-open-early", value="on")
    assert "`test-open-early` is now on (was off)" in text(changed)
    assert "1 learners are under it now." in text(changed)
    await harness.interaction(command_payload(L1, "start"))
    assert "Module test" not in dm_buttons(harness, L1)
    await harness.dm_text(L1, "menu")
    assert "Module test" in dm_buttons(harness, L1)


async def test_open_a_lesson_ahead_of_the_release_schedule_on_discord(harness: DiscordHarness) -> None:
    await boss(harness, "create", name="spring")
    await boss(harness, "enrol", name="spring", user_id=L1)
    await boss(harness, "policy", name="spring", key="start-date", value="2030-01-07")
    assert "`release` is now every 7d" in text(
        await boss(harness, "policy", name="spring", key="release", value="every 7d")
    )
    opened = await boss(harness, "open", name="spring", user_id=L1, unit="L2", reason="ahead")
    assert f"Opened Lesson 2 for <@{L1}> ahead of the schedule." in text(opened)
    assert "Your facilitator opened Lesson 2 for you ahead of the cohort's schedule." in dm_text(harness, L1)
    everyone = await boss(harness, "open", name="spring", unit="L3")
    assert "Opened Lessons 2–3 for everyone in `spring`." in text(everyone)
    refused = await boss(harness, "open", name="spring", unit="test")
    assert "`/cohort unlock NAME @user` opens it early" in text(refused)
