"""Share my pass on Discord: the button on the certificate message, and its press (see
`bot.credentials.sharing`). The shout-out is posted in the cohort's channel with no pings;
the learner is answered privately on the press."""

from __future__ import annotations

import logging

from discord.http import handle_message_parameters

import discord
from bot.adapters.discord.outbox import DiscordApi, Origin
from bot.adapters.platform import Refused, note
from bot.cohorts.answers import with_mentions
from bot.credentials.sharing import ACTION, LABEL, PassSharing
from bot.domain.events import Actor
from bot.render.cohort_discord import discord_mention
from bot.render.discord import render_discord

log = logging.getLogger(__name__)


class DiscordPassSharing:
    def __init__(self, sharing: PassSharing, api: DiscordApi) -> None:
        self.sharing = sharing
        self.api = api

    @staticmethod
    def button() -> discord.ui.View:
        """The opt-in button, for the message that carries the certificate."""
        view = discord.ui.View(timeout=None)
        view.add_item(discord.ui.Button(label=LABEL, custom_id=ACTION, style=discord.ButtonStyle.primary))
        return view

    async def press(self, actor: Actor, origin: Origin) -> None:
        """Answer the deferred press at `origin`."""

        async def post(channel: str, text: str) -> None:
            params = handle_message_parameters(
                content=with_mentions(text, discord_mention)[:2000],
                allowed_mentions=discord.AllowedMentions.none(),
            )
            await self.api.http.send_message(channel, params=params)

        line = await self.sharing.share(actor, post)
        try:
            await self.api.edit_original(
                origin, render_discord(note(with_mentions(line, discord_mention)))[0]
            )
        except Refused as error:
            log.warning("discord: Share my pass answer not delivered to %s: %s", actor, error.reason)
