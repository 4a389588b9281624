"""Drives the real discord.py client offline, over the real connection path: the client logs
in against the fake REST API and connects to the fake gateway (`tests.fakes.discord_api`),
and every test event arrives as a gateway dispatch, as it would from Discord.

Payloads are shaped like Discord's: interactions carry their channel object (a DM, a server
text channel or a private thread), the member in a server, the message a button is on.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from bot.adapters.discord.app import DiscordAdapter
from bot.scheduler.clock import Clock, SystemClock
from bot.scheduler.runner import Scheduler
from bot.scheduler.store import JobStore
from bot.storage.redis_store import RedisLearnerStore
from tests.fakes.discord_api import APP_ID, BOT_USER_ID, FakeDiscordApi

TOKEN = "test-bot-token-SECRET"
GUILD = "700000000000000001"
CHANNEL = "700000000000000002"
GUILD2 = "710000000000000001"
CHANNEL2 = "710000000000000002"
CHANNELS = {GUILD: CHANNEL, GUILD2: CHANNEL2}
"""Each test server's text channel (the fake knows them as `GUILD_CHANNELS`)."""
DM_CHANNEL = "700000000000000009"
_ids = itertools.count(800_000_000_000_000_000)


def message_payload(uid: str, channel: str, text: str, guild: str | None = None) -> dict[str, Any]:
    """MESSAGE_CREATE for a message a person typed."""
    payload: dict[str, Any] = {
        "id": str(next(_ids)),
        "channel_id": channel,
        "author": user(uid),
        "content": text,
        "type": 0,
        "timestamp": "2026-01-01T00:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "flags": 0,
        "components": [],
    }
    if guild is not None:
        payload["guild_id"] = guild
        payload["member"] = {
            "roles": [],
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
        }
    return payload


def channel_object(channel: str, guild: str | None, uid: str) -> dict[str, Any]:
    """The `channel` of an interaction: the learner's DM, a server text channel, or a thread."""
    if guild is None:
        return {"id": channel, "type": 1, "last_message_id": None, "flags": 0, "recipients": [user(uid)]}
    return {
        "id": channel,
        "type": 0,
        "guild_id": guild,
        "name": "general",
        "position": 0,
        "parent_id": None,
        "nsfw": False,
        "rate_limit_per_user": 0,
        "permissions": "0",
        "flags": 0,
        "permission_overwrites": [],
    }


def user(uid: str) -> dict[str, Any]:
    return {"id": uid, "username": f"u{uid[-3:]}", "discriminator": "0", "avatar": None, "global_name": None}


def command_payload(uid: str, action: str | None, guild: str | None = GUILD) -> dict[str, Any]:
    data: dict[str, Any] = {"id": "600000000000000001", "name": "tutor", "type": 1}
    if action is not None:
        data["options"] = [{"name": action, "type": 1, "options": []}]
    payload: dict[str, Any] = {
        "id": str(next(_ids)),
        "application_id": APP_ID,
        "type": 2,
        "token": f"itok-{next(_ids)}",
        "version": 1,
        "data": data,
        "channel_id": CHANNELS.get(guild, CHANNEL) if guild else DM_CHANNEL,
        "channel": channel_object(CHANNELS.get(guild, CHANNEL) if guild else DM_CHANNEL, guild, uid),
        "locale": "en-US",
        "attachment_size_limit": 8388608,
        "app_permissions": "0",
        "entitlements": [],
        "authorizing_integration_owners": {},
    }
    if guild:
        payload["guild_id"] = guild
        payload["guild"] = {"id": guild, "locale": "en-US", "features": []}
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
        "channel": channel_object(message["channel_id"], guild, uid),
        "message": message,
        "locale": "en-US",
        "attachment_size_limit": 8388608,
        "app_permissions": "0",
        "entitlements": [],
        "authorizing_integration_owners": {},
    }
    if guild:
        payload["guild_id"] = guild
        payload["guild"] = {"id": guild, "locale": "en-US", "features": []}
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


OPTION_TYPES = {str: 3, int: 4, bool: 5}
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
        self._serving: asyncio.Task[None] | None = None

    async def login(self) -> None:
        """Start the client as `tutorbot discord` does, and wait until the gateway is READY."""
        self._serving = asyncio.create_task(self.adapter.client.start(TOKEN))
        await asyncio.wait_for(self.adapter.client.wait_until_ready(), 15)

    async def close(self) -> None:
        await self.adapter.worker.drain(10)
        await self.adapter.client.close()
        if self._serving is not None:
            await self._serving

    async def event(self, name: str, payload: dict[str, Any]) -> None:
        """Dispatch a gateway event and wait until the bot has received it and is done with it."""
        received = asyncio.ensure_future(
            self.adapter.client.wait_for("socket_event_type", check=lambda event: event == name, timeout=10)
        )
        await asyncio.sleep(0)  # the waiter is registered before the event can arrive
        await self.api.dispatch(name, payload)
        await received
        await self.settle()

    async def interaction(self, payload: dict[str, Any]) -> None:
        await self.event("INTERACTION_CREATE", payload)

    def scheduler(self, clock: Clock | None = None) -> Scheduler:
        """This process's scheduler (its own lease token) with the jobs only a Discord process
        runs, on the store its adapter writes to."""
        store = self.adapter.engine.store
        assert isinstance(store, RedisLearnerStore)
        return Scheduler(
            JobStore(store.client, store.keys), clock or SystemClock(), dict(self.adapter.timed_jobs)
        )

    async def dm_text(self, uid: str, text: str) -> None:
        await self.event("MESSAGE_CREATE", message_payload(uid, self.api.dm_of(uid), text))

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

    async def cohort_edit(
        self, uid: str, answer: dict[str, Any], label: str, text: str, **member: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Presses an Edit button, types `text` into the modal it opened and submits it, as
        Discord would (MODAL_SUBMIT, with the message the button was on); returns the modal
        and what the submission answered."""
        opened = len(self.api.modals)
        press = answer_click(uid, answer, label, **member)
        await self.interaction(press)
        assert len(self.api.modals) == opened + 1, "no modal opened"
        modal = self.api.modals[-1]
        field = modal["components"][0]["components"][0]
        submit = dict(press)
        submit.update(
            id=str(next(_ids)),
            type=5,
            token=f"itok-{next(_ids)}",
            data={
                "custom_id": modal["custom_id"],
                "components": [
                    {"type": 1, "components": [{"type": 4, "custom_id": field["custom_id"], "value": text}]}
                ],
            },
        )
        await self.interaction(submit)
        return modal, self.answer_to(submit["token"])

    def answer_to(self, token: str) -> dict[str, Any]:
        edited = self.api.messages.get(f"{token}:@original")
        followups = [m for m in self.api.messages.values() if m["channel_id"] == f"eph-{token}"]
        found = followups[-1] if followups else edited
        assert found is not None, f"no answer to interaction {token}"
        return found

    async def settle(self) -> None:
        """Until the handlers' tasks and the engine work they started are done, and quiet."""
        quiet = 0
        seen = -1
        while quiet < 3:
            await asyncio.sleep(0.03)
            await self.adapter.worker.drain(10)
            quiet = quiet + 1 if seen == len(self.api.calls) and not self.adapter.worker.pending else 0
            seen = len(self.api.calls)
