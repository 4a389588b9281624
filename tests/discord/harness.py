"""Drives the real discord.py client offline.

This is the one place that touches discord.py internals (pinned `>=2.7,<2.8`): it logs the
HTTP client in against the fake REST API (`HTTPClient.static_login`), sets the application id
that `Client.login` would fetch, and feeds INTERACTION_CREATE / MESSAGE_CREATE payloads to the
connection state (`client._connection.parse_*`), as the gateway would.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import discord
from bot.adapters.discord.app import DiscordAdapter
from tests.fakes.discord_api import APP_ID, BOT_USER_ID, FakeDiscordApi

TOKEN = "test-bot-token-SECRET"
GUILD = "700000000000000001"
CHANNEL = "700000000000000002"
_ids = itertools.count(800_000_000_000_000_000)


def user(uid: str) -> dict[str, Any]:
    return {"id": uid, "username": f"u{uid[-3:]}", "discriminator": "0", "avatar": None, "global_name": None}


def command_payload(uid: str, action: str | None, guild: str | None = GUILD) -> dict[str, Any]:
    data: dict[str, Any] = {"id": "600000000000000001", "name": "tutor", "type": 1}
    if action is not None:
        data["options"] = [{"name": "action", "type": 3, "value": action}]
    payload: dict[str, Any] = {
        "id": str(next(_ids)),
        "application_id": APP_ID,
        "type": 2,
        "token": f"itok-{next(_ids)}",
        "version": 1,
        "data": data,
        "channel_id": CHANNEL if guild else "700000000000000009",
        # Discord sends the channel object too, and discord.py reads the channel from it.
        "channel": {
            "id": CHANNEL,
            "type": 0,
            "guild_id": guild,
            "name": "general",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
        }  # fmt: skip
        if guild
        else {"id": "700000000000000009", "type": 1},
        "locale": "en-US",
        "attachment_size_limit": 8388608,
        "app_permissions": "0",
        "entitlements": [],
        "authorizing_integration_owners": {},
    }
    if guild:
        payload["guild_id"] = guild
        payload["member"] = {
            "user": user(uid),
            "roles": [],
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
        }
    else:
        payload["user"] = user(uid)
    return payload


def click_payload(
    uid: str, message: dict[str, Any], custom_id: str, guild: str | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(next(_ids)),
        "application_id": APP_ID,
        "type": 3,
        "token": f"itok-{next(_ids)}",
        "version": 1,
        "data": {"custom_id": custom_id, "component_type": 2},
        "channel_id": message["channel_id"],
        "message": message,
        "locale": "en-US",
        "attachment_size_limit": 8388608,
        "app_permissions": "0",
        "entitlements": [],
        "authorizing_integration_owners": {},
    }
    if guild:
        payload["guild_id"] = guild
        payload["member"] = {
            "user": user(uid),
            "roles": [],
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
        }
    else:
        payload["user"] = user(uid)
    return payload


OPTION_TYPES = {str: 3, int: 4}
MANAGE_GUILD = str(1 << 5)


def role_object(rid: str, permissions: str = "0") -> dict[str, Any]:
    return {
        "id": rid,
        "name": f"role{rid[-3:]}",
        "color": 0,
        "hoist": False,
        "position": 1,
        "permissions": permissions,
        "managed": False,
        "mentionable": True,
        "flags": 0,
    }


def cohort_payload(
    uid: str,
    sub: str,
    *,
    guild: str = GUILD,
    roles: tuple[str, ...] = (),
    permissions: str = "0",
    name: str | None = None,
    user_id: str | None = None,
    role_id: str | None = None,
    channel_id: str | None = None,
    **values: str | int,
) -> dict[str, Any]:
    """`/cohort SUB …` as Discord sends it: the subcommand's options, the `resolved` objects
    for its user, role and channel options, and the member's roles and computed permissions."""
    options: list[dict[str, Any]] = []
    resolved: dict[str, Any] = {}
    if name is not None:
        options.append({"name": "name", "type": 3, "value": name})
    if user_id is not None:
        options.append({"name": "user", "type": 6, "value": user_id})
        resolved["users"] = {user_id: user(user_id)}
    if role_id is not None:
        options.append({"name": "role", "type": 8, "value": role_id})
        resolved["roles"] = {role_id: role_object(role_id)}
    if channel_id is not None:
        options.append({"name": "channel", "type": 7, "value": channel_id})
        resolved["channels"] = {
            channel_id: {"id": channel_id, "type": 0, "name": "general", "permissions": "0"}
        }
    for key, value in values.items():
        options.append({"name": key, "type": OPTION_TYPES[type(value)], "value": value})
    payload = command_payload(uid, None, guild)
    payload["data"] = {
        "id": "600000000000000002",
        "name": "cohort",
        "type": 1,
        "options": [{"name": sub, "type": 1, "options": options}],
        "resolved": resolved,
    }
    if guild:
        payload["member"]["roles"] = list(roles)
        payload["member"]["permissions"] = permissions
    return payload


def answer_click(uid: str, answer: dict[str, Any], label: str, **member: Any) -> dict[str, Any]:
    """A press of a button on an ephemeral `/cohort` answer."""
    button = next(b for row in answer.get("components", []) for b in row["components"] if b["label"] == label)
    message = {
        "id": answer.get("id", "1"),
        "channel_id": CHANNEL,
        "author": {
            "id": BOT_USER_ID,
            "username": "tutorbot",
            "discriminator": "0",
            "avatar": None,
            "bot": True,
        },
        "content": "",
        "type": 0,
        "timestamp": "2026-01-01T00:00:00+00:00",
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": answer.get("embeds", []),
        "components": answer.get("components", []),
        "pinned": False,
        "flags": 64,
    }
    payload = click_payload(uid, message, button["custom_id"], guild=GUILD)
    payload["member"]["roles"] = list(member.get("roles", ()))
    payload["member"]["permissions"] = member.get("permissions", "0")
    return payload


class DiscordHarness:
    def __init__(self, adapter: DiscordAdapter, api: FakeDiscordApi) -> None:
        self.adapter = adapter
        self.api = api

    async def login(self) -> None:
        state = self.adapter.client._connection
        await self.adapter.client._async_setup_hook()  # binds the client to this event loop, as login does
        await self.adapter.client.http.static_login(TOKEN)
        me = {"id": BOT_USER_ID, "username": "tutorbot", "discriminator": "0", "avatar": None, "bot": True}
        state.user = discord.ClientUser(state=state, data=me)  # type: ignore[arg-type]
        state.application_id = int(APP_ID)

    async def close(self) -> None:
        await self.adapter.worker.drain(10)
        await self.adapter.client.http.close()

    async def interaction(self, payload: dict[str, Any]) -> None:
        self.adapter.client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
        await self.settle()

    async def dm_text(self, uid: str, text: str) -> None:
        channel = self.api.dm_of(uid)
        self.adapter.client._connection.parse_message_create(  # type: ignore[arg-type]
            {
                "id": str(next(_ids)),
                "channel_id": channel,
                "author": user(uid),
                "content": text,
                "type": 0,
                "timestamp": "2026-01-01T00:00:00+00:00",
                "tts": False,
                "mention_everyone": False,
                "mentions": [],
                "mention_roles": [],
                "attachments": [],
                "embeds": [],
                "pinned": False,
            }
        )
        await self.settle()

    async def cohort(self, uid: str, sub: str, **options: Any) -> dict[str, Any]:
        """Runs `/cohort SUB`; returns the ephemeral answer (the deferred reply, as edited)."""
        payload = cohort_payload(uid, sub, **options)
        await self.interaction(payload)
        return self.answer_to(payload["token"])

    async def cohort_click(
        self, uid: str, answer: dict[str, Any], label: str, **member: Any
    ) -> dict[str, Any]:
        """Presses an answer's button; returns what it answered (an edit or a follow-up)."""
        payload = answer_click(uid, answer, label, **member)
        await self.interaction(payload)
        return self.answer_to(payload["token"])

    def answer_to(self, token: str) -> dict[str, Any]:
        edited = self.api.messages.get(f"{token}:@original")
        followups = [m for m in self.api.messages.values() if m["channel_id"] == f"eph-{token}"]
        found = followups[-1] if followups else edited
        assert found is not None, f"no answer to interaction {token}"
        return found

    async def settle(self) -> None:
        """Until the handlers' tasks and the engine work they started are done, and quiet."""
        seen = -1
        while seen != len(self.api.calls) or self.adapter.worker.pending:
            seen = len(self.api.calls)
            await asyncio.sleep(0.02)
            await self.adapter.worker.drain(10)
