"""The Discord client: `/tutor`, persistent buttons, DM text; each validated, translated,
answered or deferred within Discord's 3 seconds, then handed to a `Worker` for the engine.

- `/tutor action:<start|resume|progress|help>` is a *global* command (so it works in DMs),
  deferred ephemerally; the cards go to the learner's DM and the deferred reply says so.
- Buttons: every engine button's custom_id matches `bot.render.actions.PATTERN`, served by
  one `DynamicItem` (`TutorButton`), so buttons keep working across restarts and processes.
  Any other component interaction (forged, or from a bot version that is gone) gets a polite
  ephemeral answer from `on_interaction` and changes nothing.
- DM text (no privileged intent needed for DMs) becomes `Text`.

Interaction and message ids are claimed in Redis (`EventDeduper`) first, so when shard ranges
of two processes overlap during a redeploy an event is still handled once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis, RedisCluster
from redis.exceptions import RedisError

import discord
from bot.adapters.cards import CardMemory
from bot.adapters.cohort_desk import CohortDesk
from bot.adapters.commands import WORDS
from bot.adapters.discord import translate
from bot.adapters.discord.cohort import (
    BUTTON_PATTERN,
    DiscordCohorts,
    DiscordDirectory,
    cohort_button,
    cohort_group,
)
from bot.adapters.discord.models import INTERACTION_COMPONENT, Interaction
from bot.adapters.discord.outbox import (
    CALLBACK_DEFER_MESSAGE,
    CALLBACK_DEFER_UPDATE,
    CALLBACK_MESSAGE,
    EDIT_INTERVAL_S,
    EPHEMERAL,
    NO_MENTIONS,
    DiscordOutbox,
    Origin,
)
from bot.adapters.discord.rest import rebase
from bot.adapters.discord.settings import DiscordSettings
from bot.adapters.intake import Intake
from bot.adapters.platform import Pressed, Refused
from bot.adapters.work import Worker
from bot.cohorts.rights import PayloadAdmins
from bot.domain.events import Actor, Command
from bot.engine.engine import Engine
from bot.render.actions import PATTERN
from bot.storage.dedupe import EventDeduper
from bot.storage.keys import KeyBuilder
from discord import app_commands

log = logging.getLogger(__name__)

EVENT_DEDUPE_TTL_S = 3600
DM_CONTEXT_TTL_S = 180 * 24 * 3600
UNKNOWN_BUTTON = (
    "Sorry, I don't recognise that button, so it did nothing. Run `/tutor resume` to see where you are."
)
UNREADABLE = "Sorry, I couldn't read that. Try `/tutor action:help`."
_OURS = re.compile(PATTERN)
_COHORT = re.compile(BUTTON_PATTERN)


class DmContext:
    """Which tenant a learner's DM serves (see `translate`): the guild of their last `/tutor`,
    or `dm`. Stored beside the learner's DM-tenant keys (same hash tag), for half a year."""

    def __init__(self, client: Redis | RedisCluster, keys: KeyBuilder) -> None:
        self.client = client
        self.keys = keys

    def key(self, user: str) -> str:
        return self.keys.dm_tenant(Actor(platform="discord", tenant=translate.DM_TENANT, user=user))

    async def get(self, user: str) -> str:
        try:
            raw = await self.client.get(self.key(user))
        except (RedisError, ValueError):
            log.warning("discord: could not read the DM tenant of discord:dm:%s", user)
            return translate.DM_TENANT
        return raw.decode() if isinstance(raw, bytes) else (raw or translate.DM_TENANT)

    async def set(self, user: str, tenant: str) -> None:
        try:
            await self.client.set(self.key(user), tenant.encode(), ex=DM_CONTEXT_TTL_S)
        except (RedisError, ValueError):
            log.warning("discord: could not record the DM tenant of discord:dm:%s", user)


@dataclass
class DiscordAdapter:
    """The parts of the running Discord bot, for the runner and for tests."""

    client: discord.Client
    tree: app_commands.CommandTree[discord.Client]
    outbox: DiscordOutbox
    worker: Worker
    engine: Engine
    handlers: Handlers


def tutor_button(handlers: Handlers) -> type[discord.ui.DynamicItem[discord.ui.Button[Any]]]:
    """The item for every engine button, whatever message it is on (its state is in the
    custom_id), answered by `handlers`."""

    class TutorButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PATTERN):
        def __init__(self, custom_id: str) -> None:
            super().__init__(discord.ui.Button(custom_id=custom_id))

        @classmethod
        async def from_custom_id(
            cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
        ) -> TutorButton:
            return cls(match.group(0))

        async def callback(self, interaction: discord.Interaction[Any]) -> None:
            await handlers.on_click(interaction)

    return TutorButton


def build_discord_adapter(
    settings: DiscordSettings,
    engine: Engine,
    redis: Redis | RedisCluster,
    keys: KeyBuilder,
    *,
    worker: Worker | None = None,
    edit_interval_s: float = EDIT_INTERVAL_S,
) -> DiscordAdapter:
    intents = discord.Intents.none()
    intents.dm_messages = True  # DM text arrives without the privileged message-content intent
    options: dict[str, Any] = {"intents": intents, "allowed_mentions": discord.AllowedMentions.none()}
    if settings.sharded:
        if settings.discord_shard_ids is not None:
            options["shard_ids"] = settings.discord_shard_ids
        client: discord.Client = discord.AutoShardedClient(
            shard_count=settings.discord_shard_count, **options
        )
    else:
        client = discord.Client(**options)
    if settings.discord_api_url or settings.discord_gateway_url:
        rebase(client, settings.discord_api_url, settings.discord_gateway_url)
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
    outbox = DiscordOutbox(client.http, CardMemory(redis, keys), edit_interval_s=edit_interval_s)
    intake = Intake("discord", engine, worker or Worker(), EventDeduper(redis, keys, EVENT_DEDUPE_TTL_S))
    handlers = Handlers(outbox, intake, DmContext(redis, keys))
    adapter = DiscordAdapter(client, tree, outbox, intake.worker, engine, handlers)
    tree.add_command(tutor_command(handlers))
    client.add_dynamic_items(tutor_button(handlers))
    desk = CohortDesk.build(
        engine=engine,
        redis=redis,
        keys=keys,
        outbox=outbox,
        directory=DiscordDirectory(client.http),
        admins=PayloadAdmins(),  # Manage Server, as Discord computed it for the interaction
    )
    cohorts = DiscordCohorts(desk, outbox, intake)
    tree.add_command(cohort_group(cohorts))
    client.add_dynamic_items(cohort_button(cohorts))

    async def on_interaction(interaction: discord.Interaction[Any]) -> None:
        await handlers.on_other_interaction(interaction)

    async def on_message(message: discord.Message) -> None:
        await handlers.on_message(message)

    client.event(on_interaction)
    client.event(on_message)
    return adapter


def tutor_command(handlers: Handlers) -> app_commands.Command[Any, Any, None]:
    @app_commands.command(
        name=translate.COMMAND_NAME, description="Take the course: start, resume, progress or help"
    )
    @app_commands.describe(action="What to do (default: help)")
    @app_commands.choices(action=[app_commands.Choice(name=word, value=word) for word in WORDS])
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
    @app_commands.allowed_installs(guilds=True, users=False)
    async def tutor(
        interaction: discord.Interaction[Any], action: app_commands.Choice[str] | None = None
    ) -> None:
        # The option is read again from the raw payload by `translate`, which validates it.
        await handlers.on_command(interaction)

    return tutor


def commands_digest(tree: app_commands.CommandTree[Any]) -> str:
    definitions = sorted((command.to_dict(tree) for command in tree.get_commands()), key=lambda c: c["name"])
    return hashlib.sha256(json.dumps(definitions, sort_keys=True).encode()).hexdigest()


async def sync_commands_if_changed(
    tree: app_commands.CommandTree[Any], redis: Redis | RedisCluster, keys: KeyBuilder
) -> bool:
    """Upload the global commands only when their definitions changed since the last upload
    (Discord allows 200 command creates a day). True if they were uploaded."""
    key = keys.registered_commands("discord")
    digest = commands_digest(tree)
    try:
        stored = await redis.get(key)
    except RedisError:
        stored = None
    if isinstance(stored, bytes) and stored.decode() == digest:
        return False
    await tree.sync()
    try:
        await redis.set(key, digest.encode())
    except RedisError:
        log.warning("discord: commands synced but their digest was not stored")
    return True


def edge_payload(interaction: discord.Interaction[Any]) -> dict[str, Any]:
    """The parts of an interaction the adapter reads, in INTERACTION_CREATE shape, for `translate`."""
    message = interaction.message
    return {
        "id": interaction.id,
        "application_id": interaction.application_id,
        "type": interaction.type.value,
        "token": interaction.token,
        "guild_id": interaction.guild_id,
        "channel_id": interaction.channel_id,
        "user": {"id": interaction.user.id, "bot": interaction.user.bot},
        "data": dict(interaction.data or {}),
        # A clicked message is in the interaction's channel (discord.py may not have the channel cached).
        "message": {"id": message.id, "channel_id": interaction.channel_id} if message is not None else None,
    }


class Handlers:
    def __init__(self, outbox: DiscordOutbox, intake: Intake, dm: DmContext) -> None:
        self.outbox = outbox
        self.intake = intake
        self.dm = dm

    # ---- handlers: answer or defer within 3 s, then submit the work ------------------------

    async def on_command(self, interaction: discord.Interaction[Any]) -> None:
        read = await self._read(interaction, UNREADABLE)
        if read is None:
            return
        payload, dm_tenant = read
        command = translate.command(payload, dm_tenant)
        if command is None:
            await self._say(interaction, UNREADABLE)
            return
        await self._respond(interaction, {"type": CALLBACK_DEFER_MESSAGE, "data": {"flags": EPHEMERAL}})
        if payload.guild_id is not None:
            await self.dm.set(payload.user.id, payload.guild_id)  # the DM now continues this guild's course
        self.intake.submit(command.actor, f"command {command.name}", lambda: self._command(payload, command))

    async def on_click(self, interaction: discord.Interaction[Any]) -> None:
        read = await self._read(interaction, UNKNOWN_BUTTON)
        if read is None:
            return
        payload, dm_tenant = read
        click = translate.click(payload, dm_tenant)
        if click is None or click.event is None:
            log.warning(
                "discord: unknown button from discord:%s:%s ignored",
                payload.guild_id or "dm",
                payload.user.id,
            )
            await self._say(interaction, UNKNOWN_BUTTON)
            return
        await self._respond(interaction, {"type": CALLBACK_DEFER_UPDATE})  # the answer follows
        event = click.event
        origin = Origin(
            application_id=payload.application_id,
            token=payload.token,
            in_dm=payload.guild_id is None,
            pressed=_pressed(payload, click.button_index),
        )
        self.intake.submit(click.actor, "click", lambda: self.intake.handle(event, self.outbox.at(origin)))

    async def on_other_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Component interactions that `TutorButton` does not take: not ours, say so politely."""
        if interaction.type.value != INTERACTION_COMPONENT or not self.intake.accepting:
            return
        custom_id = cast(dict[str, Any], interaction.data or {}).get("custom_id")
        if isinstance(custom_id, str) and (_OURS.fullmatch(custom_id) or _COHORT.fullmatch(custom_id)):
            return  # TutorButton or CohortButton handles it
        log.warning("discord: unknown component from user %s ignored", interaction.user.id)
        await self._say(interaction, UNKNOWN_BUTTON)

    async def on_message(self, message: discord.Message) -> None:
        if message.guild is not None or message.author.bot or not self.intake.accepting:
            return
        raw = {
            "id": message.id,
            "channel_id": message.channel.id,
            "author": {"id": message.author.id, "bot": message.author.bot},
            "content": message.content,
            "type": message.type.value,
            "webhook_id": message.webhook_id,
        }
        parsed = translate.parse_message(raw)
        if parsed is None or not await self.intake.first_time("message", parsed.id):
            return
        text = translate.dm_text(parsed, await self.dm.get(parsed.author.id))
        if text is None:
            return
        self.outbox.remember_dm(text.actor, parsed.channel_id)
        self.intake.submit(text.actor, "message", lambda: self.intake.handle(text, self.outbox.at(Origin())))

    async def _read(
        self, interaction: discord.Interaction[Any], unreadable: str
    ) -> tuple[Interaction, str] | None:
        """The validated payload and the learner's DM tenant, or None when there is nothing to
        do: the bot is stopping, a duplicate, or a payload that does not validate (then the
        learner is told)."""
        if not self.intake.accepting:
            return None
        payload = translate.parse_interaction(edge_payload(interaction))
        if payload is None:
            await self._say(interaction, unreadable)
            return None
        if not await self.intake.first_time("interaction", payload.id):
            return None
        dm_tenant = await self.dm.get(payload.user.id) if payload.guild_id is None else translate.DM_TENANT
        return payload, dm_tenant

    async def _say(self, interaction: discord.Interaction[Any], text: str) -> None:
        """Answer the interaction with a line only the learner sees."""
        data = {"content": text, "flags": EPHEMERAL, "allowed_mentions": NO_MENTIONS}
        await self._respond(interaction, {"type": CALLBACK_MESSAGE, "data": data})

    async def _respond(self, interaction: discord.Interaction[Any], body: dict[str, Any]) -> None:
        # Through the outbox's REST client, which knows DISCORD_API_URL (see `rest.py`).
        try:
            await self.outbox.api.respond(str(interaction.id), interaction.token, body)
        except Refused as error:
            log.warning("discord: interaction not answered: %s", error.reason)

    # ---- the work, after the response ---------------------------------------------------------

    async def _command(self, payload: Interaction, command: Command) -> None:
        origin = Origin(
            application_id=payload.application_id,
            token=payload.token,
            original_pending=True,
            in_dm=payload.guild_id is None,
        )
        await self.intake.handle(command, self.outbox.at(origin))


def _pressed(payload: Interaction, index: int | None) -> Pressed | None:
    message = payload.message
    # A clicked message is in the interaction's channel when the payload does not say otherwise.
    channel = (message.channel_id if message else None) or payload.channel_id
    if message is None or channel is None or index is None:
        return None
    return Pressed(channel, message.id, index)


__all__ = ["DiscordAdapter", "build_discord_adapter", "sync_commands_if_changed", "tutor_button"]
