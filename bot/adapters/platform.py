"""What a chat platform supplies to delivery (`bot.adapters.delivery`): its part, and nothing more.

- a `Platform`: how its cards are rendered and checked, how the learner's DM is opened, and how
  a message is posted, edited and deleted;
- for each inbound event, a `Reply`: what that event allows besides the DM (a reply only the
  learner sees, where they acted; an edit of the message whose button was pressed; a word
  after a command about where its answer went).

Every call raises `Refused` when the platform says no, with a reason that is safe to log.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from enum import Enum
from typing import Generic, Protocol, TypeVar

from bot.domain.events import Actor
from bot.domain.messages import Message, Paragraph, ReplyProgress
from bot.domain.outbox import PostOnce

Part = TypeVar("Part")
"""One platform message as its API takes it (a Block Kit message, a Discord payload)."""
PartIn = TypeVar("PartIn", contravariant=True)


class Refused(Exception):
    """A platform call that did not succeed. `reason` is safe to log: an error code or an
    exception type, never the request (which may hold text or a token)."""

    def __init__(
        self,
        reason: str,
        *,
        dm_blocked: bool = False,
        gone: bool = False,
        unreachable: bool = False,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.dm_blocked = dm_blocked
        """The learner does not accept direct messages from the bot."""
        self.gone = gone
        """The message (or its channel) no longer exists: editing it again cannot work."""
        self.unreachable = unreachable or dm_blocked
        """The learner cannot be written to at all (left the workspace or server, deactivated,
        DMs closed): trying again soon will not help."""
        self.retry_after_s = retry_after_s
        """The platform's rate limit said no, and how long to wait before asking again (s)."""


class Declined(Refused):
    """A call the platform chose not to make, to keep within its rate limits (a draft edit under
    load, or a final edit that would have waited too long). Not a failure worth a warning."""


@dataclass(frozen=True)
class Posted:
    channel: str
    message_id: str


@dataclass(frozen=True)
class Pressed:
    """The message whose button started the event, and which button of its card was pressed
    (its index in `Message.buttons`)."""

    channel: str
    message_id: str
    index: int


class Where(Enum):
    """Where the answer to an event went, for the word a platform may add after a command."""

    NOWHERE = "nowhere"
    """A card meant for the DM could not be delivered."""
    DM = "dm"
    """Cards went to the DM, and the learner acted elsewhere."""
    HERE = "here"
    """Everything is where the learner acted (or privately there)."""


def note(text: str) -> Message:
    """A one-paragraph notice from the adapter itself (not from the engine)."""
    return Message(blocks=(Paragraph(text=text),), notice=True)


@dataclass(frozen=True)
class Rendering(Generic[Part]):
    """A platform's renderers (`bot.render`) and the checker of its limits."""

    card: Callable[[Message], list[Part]]
    draft: Callable[[ReplyProgress], Part]
    answered: Callable[[Message, str], Part]
    """The card with the chosen answer in place of its buttons."""
    problems: Callable[[Part], list[str]]
    """Which limits a part breaks (sizes and positions, never text)."""


class Platform(Protocol[Part]):
    """A platform's own part of delivery: payload shapes and API calls. Calls raise `Refused`."""

    @property
    def name(self) -> str:
        """Names the platform in logs: `slack`, `discord`."""

    async def dm_blocked_note(self, actor: Actor) -> str | None:
        """Said privately when the DM refuses the learner; None when they were told already."""

    @property
    def rendering(self) -> Rendering[Part]: ...

    def dm_key(self, actor: Actor) -> Hashable:
        """What the DM channel depends on: a Slack DM is per workspace, a Discord DM per user."""

    async def open_dm(self, actor: Actor) -> str: ...

    async def post(
        self, actor: Actor, channel: str, part: Part, *, draft: bool = False, key: str | None = None
    ) -> Posted:
        """Post `part` to `channel`, as the bot serving `actor`'s tenant. `draft`: the first draft
        of a streamed reply, which the platform may decline (`Declined`) to keep its rate limits
        for real messages. `key`: the post's idempotency key, carried with the message so that
        `posted_already` can tell whether it went out."""

    async def posted_already(self, actor: Actor, channel: str, part: Part, once: PostOnce) -> bool:
        """Whether the post `once` (its first part `part`), claimed `once.unsure_for_s` seconds
        ago by a run that stopped, reached the learner (`channel`, their DM, or wherever `post`
        sends their cards): False when posting it again (with the same key) cannot make a
        second. Raises `Refused` when the platform cannot say."""

    async def edit(
        self, actor: Actor, channel: str, message_id: str, part: Part, *, draft: bool = False
    ) -> None:
        """Replace a message. `draft`: a newer draft of a streamed reply, which the platform may
        decline (`Declined`) when its rate limits are needed for real messages."""

    async def delete(self, actor: Actor, channel: str, message_id: str) -> None: ...


class Reply(Protocol[PartIn]):
    """What one inbound event allows besides the DM. Calls raise `Refused`."""

    @property
    def in_dm(self) -> bool:
        """The learner acted in their DM with the bot."""

    @property
    def can_be_private(self) -> bool:
        """`private` works: the learner can be shown something only they see, where they acted."""

    @property
    def pressed(self) -> Pressed | None: ...

    async def private(self, actor: Actor, part: PartIn) -> Posted | None:
        """Show `part` only to `actor`; the message, when it can be edited later."""

    async def edit_pressed(self, actor: Actor, part: PartIn) -> None:
        """Replace the message whose button was pressed."""

    async def conclude(self, where: Where) -> None:
        """The engine is done with the event; failures are logged, not raised."""


class NoReply:
    """No inbound event to answer (the engine's own work, a DM message): everything goes to the DM."""

    in_dm = False
    can_be_private = False
    pressed: Pressed | None = None

    async def private(self, actor: Actor, part: object) -> Posted | None:
        raise Refused("no event to reply to")

    async def edit_pressed(self, actor: Actor, part: object) -> None:
        raise Refused("no event to reply to")

    async def conclude(self, where: Where) -> None:
        return None


DIRECT = NoReply()
