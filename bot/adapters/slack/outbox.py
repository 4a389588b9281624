"""Delivers the engine's messages in Slack: Slack's part of `bot.adapters.delivery`.

`SlackApi` is the platform: cards go to the learner's DM with the bot (`conversations.open`,
then `chat.postMessage`); edits are `chat.update`, removals `chat.delete`.

`SlackOutbox.at(origin)` gives the Outbox for one inbound event. `Origin` says where the event
came from, which decides what `SlackReply` allows besides the DM:

- replies only the learner sees go where they acted: through the command's or click's
  `response_url`, or `chat.postEphemeral` in their DM with the bot when the event has no hook;
- the message whose button was pressed is edited with `chat.update`;
- after a slash command typed outside the DM, the learner is told the cards are in the DM, or,
  when nothing could be delivered there, told so where they typed.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.cards import CardMemory
from bot.adapters.delivery import EventOutbox, PlatformOutbox
from bot.adapters.platform import Declined, Posted, Pressed, Refused, Rendering, Where, note
from bot.adapters.slack.budget import Priority, SlackBudget
from bot.adapters.slack.tokens import SingleToken, TokenSource
from bot.domain.events import Actor
from bot.domain.messages import DraftPlace, ReplyProgress
from bot.domain.outbox import PostOnce
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

FINAL_EDIT_WAIT_S = 3.0
"""How long a final reply waits for chat.update before it is posted as a new message instead."""
DELETE_WAIT_S = 30.0
"""How long removing a replaced draft may wait for chat.delete before the draft is left."""

EDIT_INTERVAL_S = 1.5
"""chat.update is Tier 3 (about 50 a minute per workspace): one edit per 1.5 s per message."""

POST_KEY_EVENT = "tutorbot_post"
"""The metadata `event_type` of a message that carries its idempotency key (`event_payload.key`)."""
HISTORY_LOOKED_AT = 20
"""How many of the DM's latest messages are searched for a post that may have gone out."""

SENT_TO_DMS = "I've sent the course to your DMs."
DM_FAILED = (
    "I couldn't send you a direct message just now. Check that this workspace lets apps message you, "
    "then try `/tutor resume`."
)

_FAILURES = (TimeoutError, SlackApiError, ClientError, KeyError, TypeError)
GONE = frozenset({"message_not_found", "channel_not_found", "cant_update_message"})
"""Slack's errors for a message that no longer exists (to edit or remove)."""
"""What a Web API call may raise: Slack's refusal, the network, or an answer of the wrong shape."""


@dataclass(frozen=True)
class Origin:
    """Where the event being answered came from."""

    channel: str | None = None
    """The channel the learner acted in (a slash command's channel, a clicked message's)."""
    in_dm: bool = False
    """`channel` is the learner's DM with the bot, where the bot may post ephemerally."""
    response_url: str | None = None
    """Slack's reply hook for the command or click: ephemeral replies anywhere, bot member or not."""
    pressed: Pressed | None = None
    """The clicked message and which of its card's buttons was pressed (engine buttons only)."""
    command: bool = False
    """A slash command: afterwards, say where its answer went."""

    @property
    def can_be_ephemeral(self) -> bool:
        return bool(self.response_url or (self.in_dm and self.channel))


class SlackApi:
    """The Web API calls and payloads delivery needs (`bot.adapters.delivery.Platform`)."""

    name = "slack"

    async def dm_blocked_note(self, actor: Actor) -> str | None:
        return DM_FAILED  # never needed: Slack's refusals all count as failures

    rendering = Rendering(render_slack, render_slack_draft, render_slack_answered, slack_problems)

    def __init__(
        self, client: AsyncWebClient, tokens: TokenSource, budget: SlackBudget | None = None
    ) -> None:
        self.client = client
        self.tokens = tokens
        self.budget = budget

    async def within_budget(
        self,
        actor: Actor,
        method: str,
        *,
        channel: str | None = None,
        draft: bool = False,
        max_wait_s: float | None = None,
    ) -> None:
        """Wait for `method`'s turn in the workspace's budget; `Declined` for a draft that must
        give way, or a call that would wait longer than `max_wait_s`."""
        if self.budget is None:
            return
        priority = Priority.DRAFT if draft else Priority.REAL
        if not await self.budget.take(
            actor.tenant, method, channel=channel, priority=priority, max_wait_s=max_wait_s
        ):
            raise Declined(f"{method} budget")

    async def token(self, actor: Actor) -> str:
        """The bot token of the learner's tenant; `Refused` (not_installed) when the app is not
        installed there any more, so the call is logged as undelivered."""
        token = await self.tokens.token_for(actor.tenant)
        if token is None:
            raise Refused("not_installed", unreachable=True)
        return token

    def dm_key(self, actor: Actor) -> Hashable:
        return actor  # a DM is per workspace

    async def open_dm(self, actor: Actor) -> str:
        await self.within_budget(actor, "conversations.open")
        try:
            response = await self.client.conversations_open(token=await self.token(actor), users=actor.user)
            return str(response["channel"]["id"])
        except _FAILURES as error:
            raise _refused(error) from None

    async def post(
        self, actor: Actor, channel: str, part: SlackMessage, *, draft: bool = False, key: str | None = None
    ) -> Posted:
        """With `key`, the message carries it in its metadata (`POST_KEY_EVENT`), where
        `posted_already` looks for it: `chat.postMessage` has no idempotency key of its own."""
        if draft and self.budget is not None and not await self.budget.has_room(actor.tenant, "chat.update"):
            # A draft commits to edits and a final chat.update; while chat.update is busy with
            # real messages, the reply is better posted once, whole, when it comes.
            raise Declined("chat.update budget")
        await self.within_budget(actor, "chat.postMessage", channel=channel, draft=draft)
        try:
            metadata = None if key is None else {"event_type": POST_KEY_EVENT, "event_payload": {"key": key}}
            response = await self.client.chat_postMessage(
                token=await self.token(actor),
                channel=channel,
                text=part.text,
                blocks=part.blocks,
                metadata=metadata,
            )
            return Posted(channel, str(response["ts"]))
        except _FAILURES as error:
            raise _refused(error) from None

    async def posted_already(self, actor: Actor, channel: str, part: SlackMessage, once: PostOnce) -> bool:
        """Looks for the key in the metadata of the DM's latest messages (`conversations.history`,
        Tier 3, in the workspace's budget): a learner who is due a nudge has been quiet, so a
        post that went out is among the last few."""
        await self.within_budget(actor, "conversations.history")
        try:
            response = await self.client.conversations_history(
                token=await self.token(actor),
                channel=channel,
                limit=HISTORY_LOOKED_AT,
                include_all_metadata=True,
            )
            messages = response["messages"]
        except _FAILURES as error:
            raise _refused(error) from None
        return any(_post_key(message) == once.key for message in messages)

    async def edit(
        self, actor: Actor, channel: str, message_id: str, part: SlackMessage, *, draft: bool = False
    ) -> None:
        # A real edit (a final reply in place of its draft) waits a little; past that the reply
        # is better posted as a new message than kept waiting for chat.update.
        await self.within_budget(
            actor, "chat.update", draft=draft, max_wait_s=None if draft else FINAL_EDIT_WAIT_S
        )
        try:
            await self.client.chat_update(
                token=await self.token(actor),
                channel=channel,
                ts=message_id,
                text=part.text,
                blocks=part.blocks,
            )
        except _FAILURES as error:
            raise _refused(error) from None

    async def delete(self, actor: Actor, channel: str, message_id: str) -> None:
        await self.within_budget(actor, "chat.delete", max_wait_s=DELETE_WAIT_S)
        try:
            await self.client.chat_delete(token=await self.token(actor), channel=channel, ts=message_id)
        except _FAILURES as error:
            raise _refused(error) from None


class SlackReply:
    """What one Slack event allows besides the DM (`bot.adapters.delivery.Reply`)."""

    def __init__(self, api: SlackApi, origin: Origin, hook_retries: Sequence[AsyncRetryHandler]) -> None:
        self.api = api
        self.origin = origin
        self.hook_retries = list(hook_retries)
        self.in_dm = origin.in_dm
        self.can_be_private = origin.can_be_ephemeral
        self.pressed = origin.pressed

    async def private(self, actor: Actor, part: SlackMessage) -> Posted | None:
        channel = self.origin.channel
        if self.origin.in_dm and channel and not self.origin.response_url:
            # In its own DM the bot is a member, so the Web API works without a hook. A hook is
            # preferred when the event has one: it spends none of chat.postEphemeral's budget.
            await self.api.within_budget(actor, "chat.postEphemeral")
            try:
                await self.api.client.chat_postEphemeral(
                    token=await self.api.token(actor),
                    channel=channel,
                    user=actor.user,
                    text=part.text,
                    blocks=part.blocks,
                )
            except _FAILURES as error:
                raise _refused(error) from None
        else:
            await self._respond(part)
        return None  # an ephemeral message cannot be edited later through the Web API

    async def edit_pressed(self, actor: Actor, part: SlackMessage) -> None:
        pressed = self.pressed
        assert pressed is not None
        if self.origin.response_url:
            # The click's own hook replaces the clicked message, outside chat.update's Tier 3
            # budget, which a cohort answering quizzes at once would soon spend.
            await self._respond(part, replace=True)
            return
        await self.api.edit(actor, pressed.channel, pressed.message_id, part)

    async def conclude(self, where: Where) -> None:
        if not self.origin.command or not self.origin.response_url or where is Where.HERE:
            return
        # Where the command was typed (the DM itself may be what failed): the hook works anywhere.
        text = DM_FAILED if where is Where.NOWHERE else SENT_TO_DMS
        try:
            for part in render_slack(note(text)):
                await self._respond(part)
        except Refused as error:
            log.warning("slack: could not say where the answer went: %s", error.reason)

    async def _respond(self, part: SlackMessage, *, replace: bool = False) -> None:
        if self.origin.response_url is None:
            raise Refused("no response_url")
        hook = AsyncWebhookClient(self.origin.response_url, retry_handlers=self.hook_retries)
        try:
            if replace:
                response = await hook.send(text=part.text, blocks=part.blocks, replace_original=True)
            else:
                response = await hook.send(
                    text=part.text, blocks=part.blocks, response_type="ephemeral", replace_original=False
                )
        except (TimeoutError, ClientError) as error:
            raise Refused(type(error).__name__) from None
        if response.status_code != 200:
            raise Refused(f"http_{response.status_code}")


class SlackOutbox(PlatformOutbox[SlackMessage]):
    """The Outbox for one Slack app."""

    def __init__(
        self,
        client: AsyncWebClient,
        cards: CardMemory | None = None,
        *,
        edit_interval_s: float = EDIT_INTERVAL_S,
        webhook_retry_handlers: Sequence[AsyncRetryHandler] = (),
        tokens: TokenSource | None = None,
        budget: SlackBudget | None = None,
    ) -> None:
        self.api = SlackApi(client, tokens or SingleToken(client.token), budget)
        super().__init__(self.api, cards, edit_interval_s=edit_interval_s)
        self.client = client
        self._hook_retries = list(webhook_retry_handlers)

    async def stream(self, actor: Actor, draft: ReplyProgress) -> DraftPlace | None:
        if (
            draft.draft is None
            and not self.drafts.active(actor, draft.turn)
            and len(first_words(draft.text).split()) < DRAFT_FIRST_WORDS
        ):
            return None  # post the first draft once it has words enough for a useful notification
        return await super().stream(actor, draft)

    def at(self, origin: Origin) -> EventOutbox[SlackMessage]:
        """The Outbox for one inbound event."""
        return self.for_event(SlackReply(self.api, origin, self._hook_retries))


UNREACHABLE = frozenset(
    {
        "user_not_found",
        "users_not_found",
        "account_inactive",
        "user_disabled",
        "cannot_dm_bot",
        "messages_tab_disabled",
        "is_archived",
        "not_installed",
        "invalid_auth",
        "token_revoked",
    }
)
"""Slack's answers when the learner cannot be written to at all (left, deactivated, no DM, the
app gone from the workspace)."""


def _refused(error: BaseException) -> Refused:
    reason = _reason(error)
    retry_after = None
    response = getattr(error, "response", None) if isinstance(error, SlackApiError) else None
    if response is not None and getattr(response, "status_code", None) == 429:
        headers = getattr(response, "headers", None) or {}
        try:
            retry_after = float(headers.get("Retry-After") or headers.get("retry-after") or 30)
        except (TypeError, ValueError):
            retry_after = 30.0
    return Refused(reason, gone=reason in GONE, unreachable=reason in UNREACHABLE, retry_after_s=retry_after)


def _post_key(message: object) -> str | None:
    """The idempotency key a message of the history carries in its metadata, if any."""
    if not isinstance(message, dict):
        return None
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != POST_KEY_EVENT:
        return None
    payload = metadata.get("event_payload")
    key = payload.get("key") if isinstance(payload, dict) else None
    return key if isinstance(key, str) else None


def _reason(error: BaseException) -> str:
    """Slack's error code, or the exception type: never the request, which may hold text."""
    if isinstance(error, SlackApiError):
        response = error.response
        code = response.get("error") if hasattr(response, "get") else None
        return str(code or "slack api error")
    return type(error).__name__
