"""`/tutor certificate` on Discord: the learner's certificate (PNG and PDF) as attachments.

The files go to the learner's DM, where they stay; when the DM is closed (or the command was
run in the DM itself) they come on the command's own reply instead, which only the learner
sees. The message carries the Share my pass button (`sharing`). Fetching the certificate also grants the cohort's pass role if it is missing (a grant
that failed at the pass is made up here).
"""

from __future__ import annotations

import io
import logging

from discord.http import Route, handle_message_parameters

import discord
from bot.adapters.discord.outbox import CANNOT_DM, DiscordApi, Origin, original_route
from bot.adapters.discord.pass_role import PassRoles
from bot.adapters.discord.sharing import DiscordPassSharing
from bot.adapters.platform import Refused, note
from bot.credentials.desk import CertificateDesk
from bot.credentials.image import Certificate
from bot.domain.events import Actor
from bot.render.discord import render_discord

log = logging.getLogger(__name__)

IN_DM = "Your certificate is in your DM with me. Verification code: `{code}`"
HERE = (
    "Your certificate for {module}. Verification code: `{code}`\n"
    "Anyone with the bot's secret can check it: `tutorbot verify {code}`"
)


class DiscordCertificates:
    def __init__(
        self, desk: CertificateDesk, api: DiscordApi, roles: PassRoles, sharing: DiscordPassSharing
    ) -> None:
        self.desk = desk
        self.api = api
        self.roles = roles
        self.sharing = sharing

    async def send(self, actor: Actor, name: str, origin: Origin) -> None:
        """Answer the deferred `/tutor certificate` at `origin`."""
        got = await self.desk.fetch(actor, name)
        if isinstance(got, str):
            await self._reply(origin, got)
            return
        await self.roles.grant(actor)
        text = HERE.format(module=got.fields.module, code=got.code)
        if not origin.in_dm and await self._to_dm(actor, text, got):
            await self._reply(origin, IN_DM.format(code=got.code))
            return
        try:
            sent = await self._upload(original_route("PATCH", origin), text, got)
            if origin.in_dm:
                await self._remember(actor, sent)
        except Refused as error:
            log.warning("discord: certificate not sent to %s: %s", actor, error.reason)
            await self._reply(origin, "I couldn't send your certificate just now; try again.")

    async def _to_dm(self, actor: Actor, text: str, got: Certificate) -> bool:
        places = self.api.places
        if places is not None and await places.closed.closed(actor.user):
            return False
        try:
            channel = await self.api.open_dm(actor)
            route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel)
            await self._remember(actor, await self._upload(route, text, got))
        except Refused as error:
            if error.dm_blocked and places is not None:
                await places.closed.mark(actor.user)
            log.info("discord: certificate of %s not sent to the DM: %s", actor, error.reason)
            return False
        return True

    async def _remember(self, actor: Actor, sent: object) -> None:
        """A press of Share my pass in the DM acts for the course the certificate is of."""
        if self.api.places is not None and isinstance(sent, dict) and "id" in sent:
            await self.api.places.card_tenants.remember(actor, str(sent["id"]))

    async def _upload(self, route: Route, text: str, got: Certificate) -> object:
        """The message with the files and the Share my pass button; Discord's answer."""
        files = [
            discord.File(
                io.BytesIO(got.png), filename=CertificateDesk.file_name(got, "png"), description="Certificate"
            ),
            discord.File(
                io.BytesIO(got.pdf),
                filename=CertificateDesk.file_name(got, "pdf"),
                description="Certificate (PDF)",
            ),
        ]
        params = handle_message_parameters(
            content=text[:2000],
            files=files,
            allowed_mentions=discord.AllowedMentions.none(),
            view=self.sharing.button(),
        )
        try:
            return await self.api.http.request(route, files=params.files, form=params.multipart)
        except discord.HTTPException as error:
            raise Refused(
                f"http {error.status} code {error.code}", dm_blocked=error.code == CANNOT_DM
            ) from None
        except (TimeoutError, OSError) as error:
            raise Refused(type(error).__name__) from None

    async def _reply(self, origin: Origin, text: str) -> None:
        try:
            await self.api.edit_original(origin, render_discord(note(text))[0])
        except Refused as error:
            log.warning("discord: certificate reply not delivered: %s", error.reason)
