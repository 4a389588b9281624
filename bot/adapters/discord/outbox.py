"""Delivers the engine's messages in Discord, over discord.py's REST client (`HTTPClient`).

`DiscordOutbox` is the Outbox for one bot: cards go to the learner's DM (`POST
/users/@me/channels`, cached, then `POST /channels/{id}/messages`); a streamed lab reply is
one message edited in place at most once per `edit_interval_s` and replaced by the final
reply. Payloads are the renderer's API dicts sent as they are (`Route` + `HTTPClient.request`),
so discord.py still handles auth, rate limits (429) and retries.

`DiscordOutbox.at(origin)` gives the Outbox for one inbound event. When the event is an
interaction, its token allows replies only the learner sees:

- short notices (`Message.notice`), and everything for `/tutor help`, are ephemeral;
- after a question is answered, the clicked message is edited (`@original` of the click) to
  show the answer instead of its buttons, so they cannot be pressed again;
- if the learner does not accept DMs (Discord error 50007), they are told so ephemerally and
  the cards follow as ephemeral messages, whose buttons work the same way (for the 15 minutes
  an interaction token lives; `/tutor resume` starts again).

A message that cannot be delivered is logged with the learner (`discord:tenant:user`), the
card and Discord's error code; never its text, never a token. Nothing is raised to the
engine: its commit has happened, and the learner can `/tutor resume`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, cast

from aiohttp import ClientError
from discord.http import HTTPClient, Route

import discord
from bot.adapters.cards import CardMemory
from bot.adapters.dm_channels import DmChannels
from bot.adapters.drafts import Draft, DraftStreams
from bot.domain.events import Actor
from bot.domain.messages import Message, Paragraph, ReplyProgress
from bot.render.discord import DiscordPayload, render_discord, render_discord_answered, render_discord_draft
from bot.render.limits import discord_problems

log = logging.getLogger(__name__)

EDIT_INTERVAL_S = 1.0
"""Message edits have no published limit; about one a second per message is the usual advice."""

EPHEMERAL = 64
CANNOT_DM = 50007
NO_MENTIONS: dict[str, Any] = {"parse": []}
"""Course text and learner echoes must never ping anyone."""

SENT_TO_DMS = "I've sent the course to your DMs."
DM_BLOCKED = (
    "I can't send you direct messages: your privacy settings block DMs from this server's members. "
    "I'll show the course here, only to you. To get it in your DMs, allow direct messages "
    "(Server → Privacy Settings) and run `/tutor resume`."
)
DM_FAILED = "I couldn't send you a direct message just now. Try `/tutor resume` in a moment."


class Delivery(Enum):
    OK = "ok"
    BLOCKED = "blocked"
    """The learner does not accept DMs from the bot (50007)."""
    FAILED = "failed"


@dataclass(frozen=True)
class Origin:
    """Where the event being answered came from."""

    application_id: str | None = None
    token: str | None = None
    """The interaction token: replies and edits for 15 minutes, whatever the channel."""
    original_pending: bool = False
    """The interaction was deferred with "thinking…": its original response awaits content."""
    in_dm: bool = False
    ephemeral: bool = False
    """Show every reply ephemerally (`/tutor help`)."""
    clicked_channel: str | None = None
    clicked_message: str | None = None
    answered_index: int | None = None
    """The pressed button's index in its card, when the press answered a question."""

    @property
    def interactive(self) -> bool:
        return bool(self.application_id and self.token)


DIRECT = Origin()
"""No interaction (a DM message): everything goes to the DM."""


class _Refused(Exception):
    def __init__(self, reason: str, code: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class DiscordOutbox:
    def __init__(
        self, http: HTTPClient, cards: CardMemory | None = None, *, edit_interval_s: float = EDIT_INTERVAL_S
    ) -> None:
        self.http = http
        self.cards = cards
        self._dms = DmChannels()
        self.drafts = DraftStreams(edit_interval_s, self._post_draft, self._edit_draft)

    # ---- the Outbox protocol (no origin) ---------------------------------------------------

    async def send(self, actor: Actor, messages: Sequence[Message]) -> None:
        await self.at(DIRECT).send(actor, messages)

    async def progress(self, actor: Actor, draft: ReplyProgress) -> None:
        await self.at(DIRECT).progress(actor, draft)

    def at(self, origin: Origin) -> EventOutbox:
        return EventOutbox(self, origin)

    # ---- REST ------------------------------------------------------------------------------

    async def _request(self, route: Route, payload: dict[str, Any] | None = None, **params: Any) -> Any:
        """One REST call through discord.py; any failure becomes `_Refused` with Discord's code."""
        try:
            return await self.http.request(route, json=payload, params=params or None)
        except discord.HTTPException as error:
            raise _Refused(f"http {error.status} code {error.code}", error.code) from None
        except (TimeoutError, ClientError) as error:
            raise _Refused(type(error).__name__) from None

    def remember_dm(self, user: str, channel: str) -> None:
        """Record a learner's DM channel seen in an inbound payload (saves a round trip)."""
        self._dms.remember(user, channel)

    async def dm_channel(self, actor: Actor) -> str:
        channel = self._dms.get(actor.user)
        if channel is None:
            data = await self._request(Route("POST", "/users/@me/channels"), {"recipient_id": actor.user})
            channel = str(data["id"])
            self.remember_dm(actor.user, channel)
        return channel

    async def _post(self, channel: str, part: DiscordPayload, flags: int = 0) -> dict[str, Any]:
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel)
        return cast(dict[str, Any], await self._request(route, _body(part, flags)))

    async def _edit(self, channel: str, message_id: str, part: DiscordPayload) -> None:
        route = Route(
            "PATCH", "/channels/{channel_id}/messages/{message_id}", channel_id=channel, message_id=message_id
        )
        await self._request(route, _body(part))

    async def _delete(self, actor: Actor, channel: str, message_id: str) -> None:
        route = Route(
            "DELETE",
            "/channels/{channel_id}/messages/{message_id}",
            channel_id=channel,
            message_id=message_id,
        )
        try:
            await self._request(route)
        except _Refused as error:
            log.warning("discord: could not remove a draft for %s: %s", actor, error.reason)

    async def followup(
        self, origin: Origin, part: DiscordPayload, *, ephemeral: bool = True
    ) -> dict[str, Any]:
        route = Route(
            "POST",
            "/webhooks/{application_id}/{token}",
            application_id=origin.application_id,
            token=origin.token,
        )
        return cast(
            dict[str, Any],
            await self._request(route, _body(part, EPHEMERAL if ephemeral else 0), wait="true"),
        )

    async def edit_original(self, origin: Origin, part: DiscordPayload) -> dict[str, Any]:
        route = Route(
            "PATCH",
            "/webhooks/{application_id}/{token}/messages/@original",
            application_id=origin.application_id,
            token=origin.token,
        )
        return cast(dict[str, Any], await self._request(route, _body(part)))

    async def delete_original(self, origin: Origin) -> None:
        route = Route(
            "DELETE",
            "/webhooks/{application_id}/{token}/messages/@original",
            application_id=origin.application_id,
            token=origin.token,
        )
        try:
            await self._request(route)
        except _Refused as error:
            log.warning("discord: could not remove a deferred reply: %s", error.reason)

    # ---- delivery ----------------------------------------------------------------------------

    async def deliver(self, actor: Actor, message: Message) -> Delivery:
        """Post one card to the DM (or finish the streamed reply it completes)."""
        step = message.log_name
        parts = _checked(render_discord(message), actor, step)
        try:
            channel = await self.dm_channel(actor)
            first = 0
            turn = message.advisor_turn
            if turn is not None and self.drafts.active(actor, turn):
                stream = await self.drafts.close(actor, turn)
                if stream.message_id is not None:
                    await self.drafts.wait_edit_slot(stream)
                    try:
                        await self._edit(stream.channel, stream.message_id, parts[0])
                        first = 1
                    except _Refused:
                        await self._delete(actor, stream.channel, stream.message_id)
            last: dict[str, Any] | None = None
            for part in parts[first:]:
                last = await self._post(channel, part)
        except _Refused as error:
            log.warning("discord: DM to %s not delivered at step %s: %s", actor, step, error.reason)
            return Delivery.BLOCKED if error.code == CANNOT_DM else Delivery.FAILED
        if last is not None:
            await self._remember(actor, channel, last, message)
        return Delivery.OK

    async def _remember(self, actor: Actor, channel: str, posted: dict[str, Any], message: Message) -> None:
        if self.cards is not None and message.is_question and "id" in posted:
            await self.cards.remember(
                actor, str(posted.get("channel_id") or channel), str(posted["id"]), message
            )

    async def mark_answered(self, actor: Actor, origin: Origin) -> None:
        """Replace the clicked question's buttons with the learner's answer."""
        if (
            self.cards is None
            or not origin.interactive
            or origin.clicked_message is None
            or origin.clicked_channel is None
            or origin.answered_index is None
        ):
            return
        card = await self.cards.recall(actor, origin.clicked_channel, origin.clicked_message)
        if card is None or origin.answered_index >= len(card.choices):
            return  # posted long ago or by another deployment: leave it as it is
        answered = render_discord_answered(card, card.choices[origin.answered_index].label)
        try:
            # `@original` of a button click is the message the button is on, DM or ephemeral alike.
            await self.edit_original(origin, _checked([answered], actor, card.log_name)[0])
        except _Refused as error:
            log.warning("discord: could not mark %s answered for %s: %s", card.log_name, actor, error.reason)

    # ---- streamed lab replies ----------------------------------------------------------------

    async def stream(self, actor: Actor, draft: ReplyProgress) -> None:
        """Show `draft` in one DM message, edited at most once per `edit_interval_s` (see
        `bot.adapters.drafts`). Returns at once; the advisor is never held up by Discord."""

        async def channel() -> str | None:
            try:
                return await self.dm_channel(actor)
            except _Refused:
                return None  # the final reply will say what there is to say

        await self.drafts.show(actor, draft, channel)

    async def abandon_stream(self, actor: Actor, turn: int) -> None:
        """The reply never came (the advisor failed and the engine said so): remove the draft."""
        if not self.drafts.active(actor, turn):
            return
        stream = await self.drafts.close(actor, turn)
        if stream.message_id is not None:
            await self._delete(actor, stream.channel, stream.message_id)

    async def _post_draft(self, stream: Draft, draft: ReplyProgress) -> str | None:
        try:
            posted = await self._post(stream.channel, render_discord_draft(draft))
        except _Refused as error:
            # Drafts are a courtesy: the final reply is delivered (or reported) on its own.
            log.warning("discord: streaming a lab reply to %s stopped: %s", stream.actor, error.reason)
            return None
        return str(posted["id"])

    async def _edit_draft(self, stream: Draft, draft: ReplyProgress) -> None:
        assert stream.message_id is not None
        try:
            await self._edit(stream.channel, stream.message_id, render_discord_draft(draft))
        except _Refused as error:
            log.warning("discord: a lab reply draft for %s was not updated: %s", stream.actor, error.reason)


class EventOutbox:
    """The Outbox for one inbound event; see the module docstring."""

    def __init__(self, base: DiscordOutbox, origin: Origin) -> None:
        self.base = base
        self.origin = origin
        self.original_pending = origin.original_pending
        self.delivered_to_dm = False
        self.dm_blocked = False
        self.undelivered = False
        self._marked = False
        self._turns: set[tuple[Actor, int]] = set()

    async def send(self, actor: Actor, messages: Sequence[Message]) -> None:
        for message in messages:
            if self.origin.interactive and (self.origin.ephemeral or message.notice or self.dm_blocked):
                await self.ephemeral(actor, message)
                continue
            if not self._marked:
                self._marked = True
                await self.base.mark_answered(actor, self.origin)
            result = await self.base.deliver(actor, message)
            if result is Delivery.BLOCKED and self.origin.interactive:
                self.dm_blocked = True
                await self.ephemeral(actor, note(DM_BLOCKED))
                await self.ephemeral(actor, message)
                continue
            if result is not Delivery.OK:
                self.undelivered = True
                return  # the DM is unusable (logged); the rest would fail the same way
            self.delivered_to_dm = True

    async def progress(self, actor: Actor, draft: ReplyProgress) -> None:
        self._turns.add((actor, draft.turn))
        await self.base.stream(actor, draft)

    async def ephemeral(self, actor: Actor, message: Message) -> bool:
        """Show `message` only to the learner, as a reply to the interaction."""
        if not self.origin.interactive:
            return await self.base.deliver(actor, message) is Delivery.OK
        step = message.log_name
        for part in _checked(render_discord(message), actor, step):
            try:
                if self.original_pending:
                    # A deferred "thinking…" reply is completed by editing it; it is already ephemeral.
                    self.original_pending = False
                    posted = await self.base.edit_original(self.origin, part)
                else:
                    posted = await self.base.followup(self.origin, part)
            except _Refused as error:
                log.warning(
                    "discord: ephemeral reply to %s not delivered at step %s: %s", actor, step, error.reason
                )
                return False
            await self.base._remember(actor, str(posted.get("channel_id", "")), posted, message)
        return True

    async def close(self) -> None:
        """After the engine is done: drop drafts whose reply never came, and complete a
        deferred `/tutor` reply that nothing else has filled."""
        for actor, turn in self._turns:
            await self.base.abandon_stream(actor, turn)
        if not self.original_pending:
            return
        if self.undelivered:
            text = DM_FAILED
        elif self.delivered_to_dm and not self.origin.in_dm:
            text = SENT_TO_DMS
        else:
            # In the DM the cards are right below; "thinking…" would only linger.
            self.original_pending = False
            await self.base.delete_original(self.origin)
            return
        self.original_pending = False
        try:
            await self.base.edit_original(self.origin, render_discord(note(text))[0])
        except _Refused as error:
            log.warning("discord: deferred reply not completed: %s", error.reason)


def note(text: str) -> Message:
    return Message(blocks=(Paragraph(text=text),), notice=True)


def _body(part: DiscordPayload, flags: int = 0) -> dict[str, Any]:
    # Every field is sent, empty or not, so an edit also removes what is gone (old buttons).
    body: dict[str, Any] = {
        "content": part.content,
        "embeds": part.embeds,
        "components": part.components,
        "allowed_mentions": NO_MENTIONS,
    }
    if flags:
        body["flags"] = flags
    return body


def _checked(parts: list[DiscordPayload], actor: Actor, step: str) -> list[DiscordPayload]:
    for part in parts:
        problems = discord_problems(part)
        if problems:
            # Discord will probably refuse it; say what is wrong (sizes and positions, not text).
            log.error(
                "discord: card %s for %s breaks Discord limits: %s", step, actor, "; ".join(problems)[:500]
            )
    return parts
