"""The `Advisor` interface the engine calls for every lab turn, outside any Redis transaction."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from bot.course.models import Lab, Lesson
from bot.domain.events import Actor
from bot.domain.frozen import frozen


class Turn(BaseModel):
    """One line of a lab transcript."""

    model_config = ConfigDict(frozen=True)

    role: Literal["learner", "advisor"]
    text: str


@frozen
class AdvisorRequest:
    """Everything an advisor may see for one reply. Quiz and test answer keys are never part of it.

    Built by our own code for every lab turn (`bot.flows.lab.advisor_request`), so a frozen
    dataclass, without the cost of validating the lesson, the lab and the turns it holds."""

    actor: Actor
    lesson: Lesson
    lab: Lab
    history: tuple[Turn, ...]
    """Earlier turns of this lab, oldest first, capped by the engine."""
    message: str
    """The learner's new message."""
    counted: bool
    """Whether this message counts as an exchange; when False, nudge the learner toward the task."""
    completes_lab: bool = False
    """True when this reply completes the lab: end it with a short recap of what was explored."""
    earlier_messages: tuple[str, ...] = ()
    """The learner's last few messages in this lab before this one (trimmed), oldest first.
    Kept in the learner's state, so they come free with every turn."""
    turn: int | None = None
    """This message's number in the lab conversation (1 for the first), when known."""
    opener: bool = False
    """The message is a suggested opener the learner pressed (or typed word for word)."""
    lab_done: bool = False
    """The lab was already complete before this message."""
    first_in_lab: bool | None = None
    """Whether this is the advisor's first reply in this lab (over all visits), when known."""
    raised: tuple[str, ...] = ()
    """Topics the learner raised in their own words so far, this message included (see `recap`)."""
    pieces: tuple[str, ...] = ()
    """For a design lab: the pieces the learner has proposed so far, this message included."""


class Usage(BaseModel):
    # Frozen, so hashable: pydantic then shares the default below instead of deep-copying it
    # for every reply (about 6 µs a lab turn).
    model_config = ConfigDict(frozen=True)

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_read_tokens + self.cache_write_tokens


@frozen
class AdvisorReplyText:
    """An advisor's answer; a frozen dataclass like the request (see `AdvisorRequest`)."""

    text: str
    offline: bool
    usage: Usage = Usage()
    on_topic: bool = True
    """False when the message had nothing to do with the lesson or the lab's task (or asked for
    test answers or the advisor's instructions): it then does not count as an exchange."""
    sections: tuple[str, ...] = ()
    """Headings of the lesson passages the reply drew on, when the advisor knows them."""


class AdvisorUnavailable(Exception):
    """The advisor could not answer (after its bounded retries). The turn does not count."""

    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.retryable = retryable


OnDelta = Callable[[str], Awaitable[None]]
"""Called with the reply text so far, each time more of it arrives."""


class Advisor(ABC):
    history_lines: ClassVar[int] = 12
    """Transcript lines (learner and advisor turns) this advisor wants in `history`. The engine
    reads them with the turn's first commit; an advisor that needs none should say 0, so that
    a lab turn costs the same at the 400th turn as at the first."""

    @abstractmethod
    async def reply(self, request: AdvisorRequest, on_delta: OnDelta | None = None) -> AdvisorReplyText:
        """Answer the learner; raise `AdvisorUnavailable` when no answer can be had."""
