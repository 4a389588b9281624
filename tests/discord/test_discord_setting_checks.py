"""Before a setting that needs the bot's permissions is made, the bot asks Discord (the
server's roles, its own member object, the channel's overwrites) and answers the facilitator:
`pass-role` needs Manage Roles and the bot's highest role above it; the cohort's channel needs
View Channel, Send Messages, Create Private Threads, Send Messages in Threads and Read Message
History there."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.cohorts.models import Tenant
from bot.cohorts.store import CohortStore
from bot.storage.keys import KeyBuilder
from tests.discord.harness import GUILD, GUILD2, MANAGE_GUILD, DiscordHarness, role_object, user
from tests.fakes.discord_api import BOT_USER_ID

BOSS = "510000000000000001"
BADGE = "520000000000000009"
BOT_ROLE = "520000000000000002"
SHOUT = "700000000000000066"
MANAGE_ROLES = 1 << 28
VIEW, SEND = 1 << 10, 1 << 11
PRIVATE_THREADS, IN_THREADS = 1 << 36, 1 << 38
HISTORY = 1 << 16
POSTING = VIEW | SEND | PRIVATE_THREADS | IN_THREADS | HISTORY
BOSS_PERMS = {"permissions": MANAGE_GUILD}


def role(rid: str, position: int, permissions: int = 0, **extra: Any) -> dict[str, Any]:
    return {**role_object(rid, str(permissions)), "position": position, **extra}


def server(h: DiscordHarness, *, bot_position: int, bot_permissions: int, everyone: int = 0) -> None:
    """The test server's roles and the bot's member object, as Discord serves them."""
    h.api.roles[GUILD] = [
        role(GUILD, 0, everyone, name="@everyone"),
        role(BADGE, 3),
        role(BOT_ROLE, bot_position, bot_permissions, managed=True),
    ]
    h.api.members[GUILD] = [
        {
            "user": {**user(BOT_USER_ID), "bot": True},
            "roles": [BOT_ROLE],
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
        }
    ]


async def pass_role(h: DiscordHarness, value: str) -> str:
    return json.dumps(
        await h.cohort(BOSS, "policy", name="spring", key="pass-role", value=value, **BOSS_PERMS)
    )


async def stored_role(redis: Any) -> str | None:
    cohort = await CohortStore(redis, KeyBuilder("test")).get(
        Tenant(platform="discord", tenant=GUILD), "spring"
    )
    assert cohort is not None
    return cohort.settings.pass_role


async def test_pass_role_is_checked_against_manage_roles_and_the_role_order(
    harness: DiscordHarness, redis: Any
) -> None:
    await harness.cohort(BOSS, "create", name="spring", **BOSS_PERMS)
    server(harness, bot_position=2, bot_permissions=MANAGE_ROLES)  # Manage Roles, but below the badge
    answer = await pass_role(harness, f"<@&{BADGE}>")
    assert f"`pass-role` is now <@&{BADGE}>" in answer  # set, with a warning
    assert f"my highest role (<@&{BOT_ROLE}>) is not above <@&{BADGE}>" in answer
    assert "Manage Roles permission" not in answer
    assert harness.api.of("GET", f"/guilds/{GUILD}/members/{BOT_USER_ID}")

    server(harness, bot_position=4, bot_permissions=0)  # above it, without Manage Roles
    answer = await pass_role(harness, "none")
    answer = await pass_role(harness, f"<@&{BADGE}>")
    assert "I don't have the Manage Roles permission" in answer and "not above" not in answer

    server(harness, bot_position=4, bot_permissions=MANAGE_ROLES)
    await pass_role(harness, "none")
    answer = await pass_role(harness, f"<@&{BADGE}>")
    assert f"`pass-role` is now <@&{BADGE}>" in answer and "⚠️" not in answer

    # Administrator counts as every permission; the role order still holds (on a tie of
    # positions the role with the lower id is the higher, as Discord orders them).
    server(harness, bot_position=3, bot_permissions=1 << 3)
    await pass_role(harness, "none")
    assert "⚠️" not in await pass_role(harness, f"<@&{BADGE}>")
    server(harness, bot_position=1, bot_permissions=1 << 3)
    await pass_role(harness, "none")
    answer = await pass_role(harness, f"<@&{BADGE}>")
    assert "not above" in answer and "Manage Roles permission" not in answer


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (f"<@&{BOT_ROLE}>", "managed by Discord or an integration"),
        (f"<@&{GUILD}>", "managed by Discord or an integration"),
        ("<@&520000000000000777>", "is not a role of this server"),
    ],
)
async def test_a_role_nobody_can_be_given_is_refused(
    harness: DiscordHarness, redis: Any, value: str, why: str
) -> None:
    await harness.cohort(BOSS, "create", name="spring", **BOSS_PERMS)
    server(harness, bot_position=4, bot_permissions=MANAGE_ROLES)
    answer = await pass_role(harness, value)
    assert why in answer and "Nothing changed." in answer
    assert await stored_role(redis) is None


async def channel(h: DiscordHarness, channel_id: str) -> str:
    return json.dumps(await h.cohort(BOSS, "channel", name="spring", channel_id=channel_id, **BOSS_PERMS))


async def test_the_cohort_channel_is_checked_for_posting_and_private_threads(harness: DiscordHarness) -> None:
    await harness.cohort(BOSS, "create", name="spring", **BOSS_PERMS)
    server(harness, bot_position=2, bot_permissions=0, everyone=POSTING)
    harness.api.channels[SHOUT] = {"guild_id": GUILD, "permission_overwrites": []}
    answer = await channel(harness, SHOUT)
    assert f"channel is now <#{SHOUT}>" in answer and "⚠️" not in answer
    assert harness.api.of("GET", f"/channels/{SHOUT}")

    # The channel takes Send Messages and private threads from @everyone; the bot's role gets
    # Send Messages back, but not the threads.
    harness.api.channels[SHOUT]["permission_overwrites"] = [
        {"id": GUILD, "type": 0, "allow": "0", "deny": str(SEND | PRIVATE_THREADS)},
        {"id": BOT_ROLE, "type": 0, "allow": str(SEND), "deny": "0"},
    ]
    await harness.cohort(BOSS, "channel", name="spring", clear=True, **BOSS_PERMS)
    answer = await channel(harness, SHOUT)
    assert f"channel is now <#{SHOUT}>" in answer
    assert f"in <#{SHOUT}> I lack Create Private Threads:" in answer

    # Without Read Message History a takeover could not see in a learner's thread whether a
    # nudge went out.
    overwrites = harness.api.channels[SHOUT]["permission_overwrites"]
    overwrites[1] = {"id": BOT_ROLE, "type": 0, "allow": str(SEND | PRIVATE_THREADS), "deny": str(HISTORY)}
    await harness.cohort(BOSS, "channel", name="spring", clear=True, **BOSS_PERMS)
    answer = await channel(harness, SHOUT)
    assert f"in <#{SHOUT}> I lack Read Message History:" in answer
    overwrites[1] = {"id": BOT_ROLE, "type": 0, "allow": str(SEND), "deny": "0"}

    # An overwrite for the bot itself comes last and wins.
    harness.api.channels[SHOUT]["permission_overwrites"].append(
        {"id": BOT_USER_ID, "type": 1, "allow": str(PRIVATE_THREADS), "deny": str(VIEW)}
    )
    await harness.cohort(BOSS, "channel", name="spring", clear=True, **BOSS_PERMS)
    answer = await channel(harness, SHOUT)
    assert "I lack View Channel:" in answer

    # A channel of another server, or none at all, is refused and changes nothing.
    harness.api.channels["710000000000000002"] = {"guild_id": GUILD2, "permission_overwrites": []}
    refused = await channel(harness, "710000000000000002")
    assert "not in this server" in refused and "Nothing changed." in refused
    refused = await channel(harness, "700000000000000555")
    assert "can't find that channel" in refused
    shown = json.dumps(await harness.cohort(BOSS, "channel", name="spring", **BOSS_PERMS))
    assert f"<#{SHOUT}>" in shown
