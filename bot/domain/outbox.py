"""Where the engine sends what it has to say. Each adapter implements one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.domain.events import Actor
from bot.domain.messages import DraftPlace, Message, ReplyProgress


class Outbox(Protocol):
    async def send(self, actor: Actor, messages: Sequence[Message]) -> None:
        """Deliver messages to the learner, in order."""

    async def progress(self, actor: Actor, draft: ReplyProgress) -> DraftPlace | None:
        """A lab reply is streaming: `draft.text` is everything so far. Called often; throttle
        edits as the platform requires. The final text arrives later through `send` as a
        message holding an `AdvisorReply` with the same `turn`. Returns the message the reply
        is shown in, once there is one (the engine keeps it with the turn, so a process taking
        the turn over replaces that message rather than leaving it frozen)."""


@dataclass(frozen=True)
class PostOnce:
    """The idempotency key of one scheduled post to a learner's DM (the job's id), so that a
    run taken over from a process that died cannot post it twice."""

    key: str
    unsure_for_s: float | None = None
    """Set when a run that stopped may have posted it: it claimed the post this many seconds
    ago and never confirmed it. The platform is asked before it is posted again."""
    claimed_at: float | None = None
    """When that run claimed it (epoch seconds, by the sender's clock), if known: the post, if
    it went out, was made after it."""


class CardPoster(Protocol):
    """Where a scheduled sender (a nudge, a release DM) posts, and must know how it went."""

    async def post_card(self, actor: Actor, message: Message, once: PostOnce | None = None) -> bool:
        """Post to the learner's DM unless `once` was posted already (False); raises the
        platform's refusal (`bot.adapters.platform.Refused`)."""
        ...


class CollectingOutbox:
    """Keeps everything sent, for tests, simulation and benchmarks."""

    def __init__(self) -> None:
        self.sent: list[tuple[Actor, Message]] = []
        self.drafts: list[tuple[Actor, ReplyProgress]] = []
        self._keys: set[str] = set()

    async def send(self, actor: Actor, messages: Sequence[Message]) -> None:
        self.sent.extend((actor, message) for message in messages)

    async def progress(self, actor: Actor, draft: ReplyProgress) -> DraftPlace | None:
        self.drafts.append((actor, draft))
        return None

    async def post_card(self, actor: Actor, message: Message, once: PostOnce | None = None) -> bool:
        """What a scheduled sender (a nudge) posts; it never fails here. False when `once` was
        posted already."""
        if once is not None:
            if once.key in self._keys:
                return False
            self._keys.add(once.key)
        self.sent.append((actor, message))
        return True

    def take(self) -> list[Message]:
        """Messages sent since the last call."""
        messages = [message for _, message in self.sent]
        self.sent.clear()
        return messages
