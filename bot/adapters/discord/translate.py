"""Discord payloads → neutral events. Pure functions: no I/O, no state, no course logic.

Tenants. A guild is a tenant: the same person in two guilds is two learners, and guilds never
see each other's data. A DM has no guild, so a DM payload is given the tenant it belongs to
by the caller (see `bot.adapters.discord.dm_course`): for a press, the tenant its card was
rendered for; for typed text and `/tutor` in the DM, the course the DM is actively in. It is
`dm` (`DM_TENANT`) for someone who started in the DM. Discord user ids are global, so
`discord:dm:<user>` is stable per user.

`/tutor` has one subcommand per word (`/tutor start`, `/tutor pause`, …).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.adapters.commands import command_name
from bot.adapters.discord.dm_course import DM_TENANT
from bot.adapters.discord.models import (
    COMPONENT_BUTTON,
    INTERACTION_COMMAND,
    INTERACTION_COMPONENT,
    CommandData,
    ComponentData,
    DirectMessage,
    Interaction,
)
from bot.adapters.payloads import parse
from bot.domain.events import Actor, Command, Press, Text
from bot.render.actions import button_index, decode

COMMAND_NAME = "tutor"
SUBCOMMAND = 1


def actor_for(guild_id: str | None, user_id: str, dm_tenant: str = DM_TENANT) -> Actor:
    return Actor(platform="discord", tenant=guild_id or dm_tenant, user=user_id)


def parse_interaction(raw: Mapping[str, Any]) -> Interaction | None:
    return parse(Interaction, raw)


def parse_message(raw: Mapping[str, Any]) -> DirectMessage | None:
    return parse(DirectMessage, raw)


def command(interaction: Interaction, dm_tenant: str = DM_TENANT) -> Command | None:
    """`/tutor` as a navigator command, or None if the payload is not our slash command."""
    word = subcommand(interaction)
    if word is None:
        return None
    actor = actor_for(interaction.guild_id, interaction.user.id, dm_tenant)
    return Command(actor=actor, name=command_name(word))


def subcommand(interaction: Interaction) -> str | None:
    """The `/tutor` subcommand's word (`start`, `certificate`, …), or None for anything else."""
    if interaction.type != INTERACTION_COMMAND:
        return None
    data = parse(CommandData, interaction.data)
    if data is None or data.name != COMMAND_NAME or data.type != 1:
        return None
    return next((o.name for o in data.options if o.type == SUBCOMMAND), "")


@dataclass(frozen=True)
class Click:
    """A translated button click. `event` is None for a button that is not one of ours."""

    actor: Actor
    event: Press | None
    button_index: int | None = None
    custom_id: str = ""


def click(interaction: Interaction, dm_tenant: str = DM_TENANT) -> Click | None:
    """None when the payload is not a button click at all."""
    if interaction.type != INTERACTION_COMPONENT:
        return None
    data = parse(ComponentData, interaction.data)
    if data is None or data.component_type != COMPONENT_BUTTON:
        return None
    actor = actor_for(interaction.guild_id, interaction.user.id, dm_tenant)
    # decode takes the actor from the click, never from the button: whoever presses acts for themselves.
    return Click(actor, decode(data.custom_id, actor), button_index(data.custom_id), data.custom_id)


def dm_text(message: DirectMessage, dm_tenant: str = DM_TENANT) -> Text | None:
    """A learner's DM to the bot, or None for anything else: guild messages, bots (including
    ourselves), webhooks, system messages (joins, pins), empty text."""
    if message.guild_id is not None or message.author.bot or message.webhook_id is not None:
        return None
    if message.type not in (0, 19):  # DEFAULT and REPLY are things a person typed
        return None
    text = message.content.strip()
    if not text:
        return None
    return Text(actor=actor_for(None, message.author.id, dm_tenant), text=text)


def thread_text(message: DirectMessage, learner: str, bot_id: str) -> Text | None:
    """A learner's message in their private course thread, without the mention of the bot it
    needs (without the message-content intent Discord shows the bot only messages that mention
    it); None for anyone else's message, or one with nothing else in it."""
    if message.guild_id is None or message.author.id != learner or message.author.bot:
        return None
    if message.webhook_id is not None or message.type not in (0, 19):
        return None
    text = message.content.replace(f"<@{bot_id}>", " ").replace(f"<@!{bot_id}>", " ").strip()
    if not text:
        return None
    return Text(actor=actor_for(message.guild_id, learner), text=text)
