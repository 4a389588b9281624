"""Delivering the engine's messages on a chat platform: everything that is the same on every one.

A platform adapter supplies its `Platform` and, per inbound event, a `Reply`
(`bot.adapters.platform`); `PlatformOutbox` and `EventOutbox` do the rest, the same way everywhere:

- cards go to the learner's DM, whose channel is remembered (`DmChannels`);
- a card the engine marks `notice` or `private` (or `stays_where_asked`, when the learner
  acted outside the DM) is shown only to the learner, where they acted, when the event allows it;
- a card marked `locks_on_choice` is remembered when posted (`CardMemory`); when one of its
  choices is pressed, it is edited to show the chosen answer instead of its buttons, just
  before the engine's first card in reply (a notice, such as "that button is from an earlier
  step", leaves it alone);
- a streamed lab reply is one message, edited at most once per `edit_interval_s` and replaced
  by the final reply, or removed when the reply never came (`DraftStreams`); a turn taken over
  from a process that died goes on in the draft it left, or in a new one when that is gone;
- when the DM refuses the learner (Discord: "cannot send messages to this user") and the event
  allows private replies, the learner is told so (as often as the platform says) and the cards
  follow privately;
- after the event, `Reply.conclude` is told where the answer went.

A message that cannot be delivered is logged with the learner, the card and the platform's
error code; never its text, never a token. Nothing is raised to the engine: its commit has
happened, and the learner can `resume` to see the step again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from enum import Enum
from typing import Generic

from bot.adapters.cards import CardMemory
from bot.adapters.dm_channels import DmChannels
from bot.adapters.drafts import Draft, DraftStreams
from bot.adapters.platform import DIRECT, Declined, Part, Platform, Posted, Refused, Reply, Where, note
from bot.domain.events import Actor
from bot.domain.messages import DraftPlace, Message, ReplyProgress
from bot.domain.outbox import PostOnce

log = logging.getLogger(__name__)


class Delivery(Enum):
    OK = "ok"
    BLOCKED = "blocked"
    """The learner does not accept DMs from the bot."""
    FAILED = "failed"


class PlatformOutbox(Generic[Part]):
    """The Outbox for one bot on one platform; `for_event(reply)` gives the Outbox for one event."""

    def __init__(self, platform: Platform[Part], cards: CardMemory | None, *, edit_interval_s: float) -> None:
        self.platform = platform
        self.cards = cards
        self._dms = DmChannels()
        self.drafts = DraftStreams(edit_interval_s, self._post_draft, self._edit_draft)

    # ---- the Outbox protocol (no event) ----------------------------------------------------

    async def send(self, actor: Actor, messages: Sequence[Message]) -> None:
        await self.for_event(DIRECT).send(actor, messages)

    async def progress(self, actor: Actor, draft: ReplyProgress) -> DraftPlace | None:
        return await self.for_event(DIRECT).progress(actor, draft)

    def for_event(self, reply: Reply[Part]) -> EventOutbox[Part]:
        """The Outbox for one inbound event, which allows what `reply` allows."""
        return EventOutbox(self, reply)

    # ---- DMs --------------------------------------------------------------------------------

    def remember_dm(self, actor: Actor, channel: str) -> None:
        """Record the learner's DM channel seen in an inbound payload (saves opening it)."""
        self._dms.remember(self.platform.dm_key(actor), channel)

    async def dm_channel(self, actor: Actor) -> str:
        """The learner's DM with the bot, opened if need be. Raises `Refused`."""
        channel = self._dms.get(self.platform.dm_key(actor))
        if channel is None:
            channel = await self.platform.open_dm(actor)
            self.remember_dm(actor, channel)
        return channel

    async def dm_or_none(self, actor: Actor) -> str | None:
        """The learner's DM with the bot, or None when the platform refuses (logged)."""
        try:
            return await self.dm_channel(actor)
        except Refused as error:
            log.warning("%s: cannot open a DM with %s: %s", self.platform.name, actor, error.reason)
            return None

    # ---- delivery ---------------------------------------------------------------------------

    def render(self, actor: Actor, message: Message) -> list[Part]:
        return self.checked(self.platform.rendering.card(message), actor, message.log_name)

    def checked(self, parts: list[Part], actor: Actor, step: str) -> list[Part]:
        for part in parts:
            problems = self.platform.rendering.problems(part)
            if problems:
                # The platform will probably refuse it; say what is wrong (sizes and positions).
                log.error(
                    "%s: card %s for %s breaks the platform's limits: %s",
                    self.platform.name,
                    step,
                    actor,
                    "; ".join(problems)[:500],
                )
        return parts

    async def deliver(self, actor: Actor, message: Message) -> Delivery:
        """Post one card to the DM (or finish the streamed reply it completes)."""
        step = message.log_name
        parts = self.render(actor, message)
        try:
            channel = await self.dm_channel(actor)
            first = 0
            turn = message.advisor_turn
            stale: Draft | None = None
            if turn is not None and self.drafts.active(actor, turn):
                stream = await self.drafts.close(actor, turn)
                if stream.message_id is not None:
                    await self.drafts.wait_edit_slot(stream)
                    try:
                        await self.platform.edit(actor, stream.channel, stream.message_id, parts[0])
                        first = 1
                    except Refused as error:
                        # The reply is posted anew; the draft goes afterwards, unless it is gone.
                        stale = None if error.gone else stream
            posted = None
            for part in parts[first:]:
                posted = await self.platform.post(actor, channel, part)
            if stale is not None and stale.message_id is not None:
                await self._delete(actor, stale.channel, stale.message_id)
        except Refused as error:
            log.warning(
                "%s: DM to %s not delivered at step %s: %s", self.platform.name, actor, step, error.reason
            )
            return Delivery.BLOCKED if error.dm_blocked else Delivery.FAILED
        if posted is not None:
            await self.remember(actor, posted, message)
        return Delivery.OK

    async def post_card(self, actor: Actor, message: Message, once: PostOnce | None = None) -> bool:
        """Post one card to the learner's DM for a sender that must know how it went (a
        scheduled nudge): raises `Refused` with the platform's reason instead of logging it.
        With `once`, each part carries the key (the first part the key itself, the next ones
        `key#1`, ...); False when a run that stopped had posted it already, and nothing is posted."""
        channel = await self.dm_channel(actor)
        parts = self.render(actor, message)
        if (
            once is not None
            and once.unsure_for_s is not None
            and await self.platform.posted_already(actor, channel, parts[0], once)
        ):
            return False
        posted = None
        for number, part in enumerate(parts):
            key = None if once is None else once.key if number == 0 else f"{once.key}#{number}"
            posted = await self.platform.post(actor, channel, part, key=key)
        if posted is not None:
            await self.remember(actor, posted, message)
        return True

    async def remember(self, actor: Actor, posted: Posted, message: Message) -> None:
        """Keep a card whose choices lock it, so a press can edit it (its last part shows the buttons)."""
        if self.cards is not None and message.locks_on_choice:
            await self.cards.remember(actor, posted.channel, posted.message_id, message)

    async def private(self, actor: Actor, reply: Reply[Part], message: Message) -> bool:
        """Show `message` only to the learner, where they acted (in the DM if the event cannot)."""
        if not reply.can_be_private:
            return await self.deliver(actor, message) is Delivery.OK
        step = message.log_name
        for part in self.render(actor, message):
            try:
                posted = await reply.private(actor, part)
            except Refused as error:
                log.warning(
                    "%s: private reply to %s not delivered at step %s: %s",
                    self.platform.name,
                    actor,
                    step,
                    error.reason,
                )
                return False
            if posted is not None:
                await self.remember(actor, posted, message)
        return True

    async def mark_answered(self, actor: Actor, reply: Reply[Part]) -> None:
        """When a choice of a locking card was pressed, show the answer in place of its buttons."""
        pressed = reply.pressed
        if self.cards is None or pressed is None:
            return
        # Only locking cards are remembered (also those stored before cards said so themselves).
        card = await self.cards.recall(actor, pressed.channel, pressed.message_id)
        if card is None or pressed.index >= len(card.choices):
            return  # not a choice, or posted long ago or by another deployment: leave it as it is
        step = card.log_name
        answered = self.platform.rendering.answered(card, card.choices[pressed.index].label)
        try:
            await reply.edit_pressed(actor, self.checked([answered], actor, step)[0])
        except Refused as error:
            log.warning(
                "%s: could not mark %s answered for %s: %s", self.platform.name, step, actor, error.reason
            )

    async def _delete(self, actor: Actor, channel: str, message_id: str) -> None:
        try:
            await self.platform.delete(actor, channel, message_id)
        except Refused as error:
            log.warning("%s: could not remove a draft for %s: %s", self.platform.name, actor, error.reason)

    # ---- streamed lab replies ----------------------------------------------------------------

    async def stream(self, actor: Actor, draft: ReplyProgress) -> DraftPlace | None:
        """Show `draft` in one DM message, edited at most once per `edit_interval_s` (see
        `bot.adapters.drafts`). Returns at once (where the draft is, once posted); the advisor
        is never held up by the platform."""

        # Without a DM there is no draft; the final reply will say what there is to say.
        return await self.drafts.show(actor, draft, lambda: self.dm_or_none(actor))

    async def abandon_stream(self, actor: Actor, turn: int) -> None:
        """The reply never came (the advisor failed and the engine said so): remove the draft."""
        if not self.drafts.active(actor, turn):
            return
        stream = await self.drafts.close(actor, turn)
        if stream.message_id is not None:
            await self._delete(actor, stream.channel, stream.message_id)

    async def _post_draft(self, stream: Draft, draft: ReplyProgress) -> str | None:
        try:
            posted = await self.platform.post(
                stream.actor, stream.channel, self.platform.rendering.draft(draft), draft=True
            )
        except Declined:
            return None  # no draft under load: the final reply is posted when it comes
        except Refused as error:
            # Drafts are a courtesy: the final reply is delivered (or reported) on its own.
            log.warning(
                "%s: streaming a lab reply to %s stopped: %s", self.platform.name, stream.actor, error.reason
            )
            return None
        return posted.message_id

    async def _edit_draft(self, stream: Draft, draft: ReplyProgress) -> bool:
        assert stream.message_id is not None
        try:
            part = self.platform.rendering.draft(draft)
            await self.platform.edit(stream.actor, stream.channel, stream.message_id, part, draft=True)
        except Declined:
            return False  # skipped to keep the rate limits for real messages; tried again later
        except Refused as error:
            if error.gone:
                # Removed (by the learner, or a process that gave up on the turn): start anew.
                stream.message_id = None
                return False
            log.warning(
                "%s: a lab reply draft for %s was not updated: %s",
                self.platform.name,
                stream.actor,
                error.reason,
            )
        return True


class EventOutbox(Generic[Part]):
    """The Outbox for one inbound event; see the module docstring."""

    def __init__(self, base: PlatformOutbox[Part], reply: Reply[Part]) -> None:
        self.base = base
        self.reply = reply
        self.delivered_to_dm = False
        """Whether any card went to the DM."""
        self.dm_blocked = False
        """The DM refused the learner, so the cards are shown privately instead."""
        self.undelivered = False
        """Whether a card meant for the DM could not be delivered."""
        self._marked = False
        self._turns: set[tuple[Actor, int]] = set()

    async def send(self, actor: Actor, messages: Sequence[Message]) -> None:
        base = self.base
        for message in messages:
            if self._privately(message):
                await base.private(actor, self.reply, message)
                continue
            if not self._marked:
                self._marked = True
                await base.mark_answered(actor, self.reply)
            result = await base.deliver(actor, message)
            if result is Delivery.BLOCKED and self.reply.can_be_private:
                self.dm_blocked = True
                said = await base.platform.dm_blocked_note(actor)
                if said is not None:
                    await base.private(actor, self.reply, note(said))
                await base.private(actor, self.reply, message)
                continue
            if result is not Delivery.OK:
                self.undelivered = True
                return  # the DM is unusable (logged); the rest would fail the same way
            self.delivered_to_dm = True

    def _privately(self, message: Message) -> bool:
        if not self.reply.can_be_private:
            return False
        elsewhere = message.stays_where_asked and not self.reply.in_dm
        return message.notice or message.private or elsewhere or self.dm_blocked

    async def progress(self, actor: Actor, draft: ReplyProgress) -> DraftPlace | None:
        self._turns.add((actor, draft.turn))
        return await self.base.stream(actor, draft)

    @property
    def where(self) -> Where:
        if self.undelivered:
            return Where.NOWHERE
        if self.delivered_to_dm and not self.reply.in_dm:
            return Where.DM
        return Where.HERE

    async def close(self) -> None:
        """After the engine is done with the event: drop drafts whose reply never came, then
        let the event's reply say where the answer went."""
        for actor, turn in self._turns:
            await self.base.abandon_stream(actor, turn)
        await self.reply.conclude(self.where)
