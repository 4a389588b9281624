"""Delivers the engine's messages in Slack.

`SlackOutbox` is the Outbox for one Slack app: cards go to the learner's DM with the bot
(`conversations.open`, cached, then `chat.postMessage`); a streamed lab reply is one "…"
message edited in place, at most once per `edit_interval_s`, and replaced by the final reply
(`bot.adapters.drafts`).

`SlackOutbox.at(origin)` gives the Outbox for one inbound event. It knows where the event
came from, which decides three things:

- short notices (`Message.notice`) after a click or a slash command are shown ephemerally
  where the learner acted, not added to the DM history;
- `/tutor help` is answered ephemerally in full;
- after a question is answered, the clicked message is edited to show the answer instead of
  its buttons, so they cannot be pressed again. That happens just before the engine's
  (non-notice) reply is posted; a stale click gets only a notice, and changes nothing.

A message that cannot be delivered is logged with the learner (`slack:team:user`), the card
and Slack's error code; never its text, never a token. Nothing is raised to the engine: its
commit has happened, and the learner can `resume` to see the step again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.cards import CardMemory
from bot.adapters.dm_channels import DmChannels
from bot.adapters.drafts import Draft, DraftStreams
from bot.adapters.slack.tokens import SingleToken, TokenSource
from bot.domain.events import Actor
from bot.domain.messages import Message, ReplyProgress
from bot.render.limits import slack_problems
from bot.render.slack import (
    SlackMessage,
    first_words,
    render_slack,
    render_slack_answered,
    render_slack_draft,
)

log = logging.getLogger(__name__)

DRAFT_FIRST_WORDS = 6
"""A streamed reply's first draft waits for this many words: its notification shows them."""

EDIT_INTERVAL_S = 1.5
"""chat.update is Tier 3 (about 50 a minute per workspace): one edit per 1.5 s per message."""


@dataclass(frozen=True)
class Origin:
    """Where the event being answered came from."""

    channel: str | None = None
    """The channel the learner acted in (a slash command's channel, a clicked message's)."""
    in_dm: bool = False
    """`channel` is the learner's DM with the bot, where the bot may post ephemerally."""
    response_url: str | None = None
    """Slack's reply hook for the command or click: ephemeral replies anywhere, bot member or not."""
    clicked_ts: str | None = None
    answered_index: int | None = None
    """The pressed button's index in its card, when the press answered a question."""
    ephemeral: bool = False
    """Show every reply ephemerally (`/tutor help`)."""

    @property
    def can_be_ephemeral(self) -> bool:
        return bool(self.response_url or (self.in_dm and self.channel))


DIRECT = Origin()
"""No inbound event (or a DM message): everything goes to the DM."""


class SlackOutbox:
    def __init__(
        self,
        client: AsyncWebClient,
        cards: CardMemory | None = None,
        *,
        edit_interval_s: float = EDIT_INTERVAL_S,
        webhook_retry_handlers: Sequence[AsyncRetryHandler] = (),
        tokens: TokenSource | None = None,
    ) -> None:
        self.client = client
        self.tokens: TokenSource = tokens or SingleToken(client.token)
        self.cards = cards
        self._webhook_retry_handlers = list(webhook_retry_handlers)
        self._dms = DmChannels()
        self.drafts = DraftStreams(edit_interval_s, self._post_draft, self._edit_draft)

    # ---- the Outbox protocol (no origin) ---------------------------------------------------

    async def send(self, actor: Actor, messages: Sequence[Message]) -> None:
        await self.at(DIRECT).send(actor, messages)

    async def progress(self, actor: Actor, draft: ReplyProgress) -> None:
        await self.at(DIRECT).progress(actor, draft)

    def at(self, origin: Origin) -> EventOutbox:
        """The Outbox for one inbound event."""
        return EventOutbox(self, origin)

    # ---- DMs --------------------------------------------------------------------------------

    def remember_dm(self, actor: Actor, channel: str) -> None:
        """Record the learner's DM channel seen in an inbound payload (saves a conversations.open)."""
        self._dms.remember(actor, channel)

    async def dm_channel(self, actor: Actor) -> str | None:
        """The learner's DM with the bot, opened if need be; None if Slack refuses."""
        channel = self._dms.get(actor)
        if channel is not None:
            return channel
        try:
            response = await self.client.conversations_open(token=await self.token(actor), users=actor.user)
            channel = response["channel"]["id"]
        except (TimeoutError, SlackApiError, ClientError, KeyError, TypeError) as error:
            log.warning("slack: cannot open a DM with %s: %s", actor, _reason(error))
            return None
        self.remember_dm(actor, channel)
        return str(channel)

    async def token(self, actor: Actor) -> str:
        """The bot token of the learner's tenant. Raises `SlackApiError` (not_installed) when
        the app is not installed there any more, so the call is logged as undelivered."""
        token = await self.tokens.token_for(actor.tenant)
        if token is None:
            raise SlackApiError(  # type: ignore[no-untyped-call]  # slack-sdk leaves __init__ unannotated
                "not installed", {"ok": False, "error": "not_installed"}
            )
        return token

    # ---- delivery ---------------------------------------------------------------------------

    async def deliver(self, actor: Actor, message: Message) -> bool:
        """Post one card to the DM (or finish the streamed reply it completes). False if it
        could not be delivered; the reason has been logged."""
        channel = await self.dm_channel(actor)
        step = message.log_name
        if channel is None:
            log.warning("slack: DM to %s not delivered at step %s: no DM channel", actor, step)
            return False
        parts = render_slack(message)
        for part in parts:
            _check(part, actor, step)
        first = 0
        turn = message.advisor_turn
        if turn is not None and self.drafts.active(actor, turn):
            stream = await self.drafts.close(actor, turn)
            if stream.message_id is not None:
                await self.drafts.wait_edit_slot(stream)
                if await self._update(actor, stream.channel, stream.message_id, parts[0], step):
                    first = 1
                else:
                    await self._delete(actor, stream.channel, stream.message_id)
        ts = None
        for part in parts[first:]:
            ts = await self._post(actor, channel, part, step)
            if ts is None:
                return False
        if ts is not None and self.cards is not None and message.is_question:
            await self.cards.remember(actor, channel, ts, message)
        return True

    async def ephemeral(self, actor: Actor, origin: Origin, message: Message) -> bool:
        """Show `message` only to the learner, where they acted."""
        if not origin.can_be_ephemeral:
            return await self.deliver(actor, message)
        step = message.log_name
        for part in render_slack(message):
            _check(part, actor, step)
            try:
                if origin.in_dm and origin.channel:
                    # In its own DM the bot is a member, so the Web API works and needs no hook.
                    await self.client.chat_postEphemeral(
                        token=await self.token(actor),
                        channel=origin.channel,
                        user=actor.user,
                        text=part.text,
                        blocks=part.blocks,
                    )
                else:
                    # Elsewhere the bot may not be in the channel; the response_url works anyway.
                    assert origin.response_url is not None
                    await self._respond(origin.response_url, part)
            except (TimeoutError, SlackApiError, ClientError) as error:
                log.warning(
                    "slack: ephemeral reply to %s not delivered at step %s: %s", actor, step, _reason(error)
                )
                return False
        return True

    async def mark_answered(self, actor: Actor, origin: Origin) -> None:
        """Replace the clicked question's buttons with the learner's answer."""
        if (
            self.cards is None
            or origin.channel is None
            or origin.clicked_ts is None
            or origin.answered_index is None
        ):
            return
        card = await self.cards.recall(actor, origin.channel, origin.clicked_ts)
        if card is None or origin.answered_index >= len(card.choices):
            return  # posted long ago or by another deployment: leave it as it is
        answered = render_slack_answered(card, card.choices[origin.answered_index].label)
        await self._update(actor, origin.channel, origin.clicked_ts, answered, card.log_name)

    async def _respond(self, response_url: str, part: SlackMessage) -> None:
        hook = AsyncWebhookClient(response_url, retry_handlers=list(self._webhook_retry_handlers))
        response = await hook.send(
            text=part.text, blocks=part.blocks, response_type="ephemeral", replace_original=False
        )
        if response.status_code != 200:
            raise SlackApiError(  # type: ignore[no-untyped-call]  # slack-sdk leaves __init__ unannotated
                f"response_url answered {response.status_code}", {"error": f"http_{response.status_code}"}
            )

    async def _post(self, actor: Actor, channel: str, part: SlackMessage, step: str) -> str | None:
        try:
            response = await self.client.chat_postMessage(
                token=await self.token(actor), channel=channel, text=part.text, blocks=part.blocks
            )
            return str(response["ts"])
        except (TimeoutError, SlackApiError, ClientError, KeyError) as error:
            log.warning("slack: DM to %s not delivered at step %s: %s", actor, step, _reason(error))
            return None

    async def _update(self, actor: Actor, channel: str, ts: str, part: SlackMessage, step: str) -> bool:
        try:
            await self.client.chat_update(
                token=await self.token(actor), channel=channel, ts=ts, text=part.text, blocks=part.blocks
            )
            return True
        except (TimeoutError, SlackApiError, ClientError) as error:
            log.warning("slack: edit for %s not delivered at step %s: %s", actor, step, _reason(error))
            return False

    async def _delete(self, actor: Actor, channel: str, ts: str) -> None:
        try:
            await self.client.chat_delete(token=await self.token(actor), channel=channel, ts=ts)
        except (TimeoutError, SlackApiError, ClientError) as error:
            log.warning("slack: could not remove a draft for %s: %s", actor, _reason(error))

    # ---- streamed lab replies ------------------------------------------------------------------

    async def stream(self, actor: Actor, draft: ReplyProgress) -> None:
        """Show `draft` in one DM message, edited at most once per `edit_interval_s` (see
        `bot.adapters.drafts`). Returns at once; the advisor is never held up by Slack."""
        if (
            not self.drafts.active(actor, draft.turn)
            and len(first_words(draft.text).split()) < DRAFT_FIRST_WORDS
        ):
            return  # post the first draft once it has words enough for a useful notification
        await self.drafts.show(actor, draft, lambda: self.dm_channel(actor))

    async def abandon_stream(self, actor: Actor, turn: int) -> None:
        """The reply never came (the advisor failed and the engine said so): remove the draft."""
        if not self.drafts.active(actor, turn):
            return
        stream = await self.drafts.close(actor, turn)
        if stream.message_id is not None:
            await self._delete(actor, stream.channel, stream.message_id)

    async def _post_draft(self, stream: Draft, draft: ReplyProgress) -> str | None:
        return await self._post(
            stream.actor, stream.channel, render_slack_draft(draft), f"lab reply {stream.turn}"
        )

    async def _edit_draft(self, stream: Draft, draft: ReplyProgress) -> None:
        assert stream.message_id is not None
        step = f"lab reply {stream.turn}"
        await self._update(stream.actor, stream.channel, stream.message_id, render_slack_draft(draft), step)


class EventOutbox:
    """The Outbox for one inbound event; see the module docstring."""

    def __init__(self, base: SlackOutbox, origin: Origin) -> None:
        self.base = base
        self.origin = origin
        self.delivered_to_dm = False
        """Whether any card went to the DM (a command typed elsewhere then says so)."""
        self.undelivered = False
        """Whether a card meant for the DM could not be delivered."""
        self._marked = False
        self._turns: set[tuple[Actor, int]] = set()

    async def send(self, actor: Actor, messages: Sequence[Message]) -> None:
        for message in messages:
            if self.origin.ephemeral or (message.notice and self.origin.can_be_ephemeral):
                await self.base.ephemeral(actor, self.origin, message)
                continue
            if not self._marked:
                self._marked = True
                await self.base.mark_answered(actor, self.origin)
            if not await self.base.deliver(actor, message):
                self.undelivered = True
                return  # the DM is unusable (logged); the rest would fail the same way
            self.delivered_to_dm = True

    async def progress(self, actor: Actor, draft: ReplyProgress) -> None:
        self._turns.add((actor, draft.turn))
        await self.base.stream(actor, draft)

    async def close(self) -> None:
        """After the engine is done with the event: drop drafts whose reply never came."""
        for actor, turn in self._turns:
            await self.base.abandon_stream(actor, turn)


def _check(part: SlackMessage, actor: Actor, step: str) -> None:
    problems = slack_problems(part)
    if problems:
        # Slack will probably refuse it; say what is wrong (sizes and positions, not text).
        log.error("slack: card %s for %s breaks Block Kit limits: %s", step, actor, "; ".join(problems)[:500])


def _reason(error: BaseException) -> str:
    """Slack's error code, or the exception type: never the request, which may hold text."""
    if isinstance(error, SlackApiError):
        response = error.response
        code = response.get("error") if hasattr(response, "get") else None
        return str(code or "slack api error")
    return type(error).__name__
