"""What every transition receives besides the state and the event, and what it returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.advisor.base import Turn
from bot.course.models import Module
from bot.domain.events import Actor, Event
from bot.domain.facilitation import FacilitatorEvent
from bot.domain.frozen import frozen
from bot.domain.messages import DraftPlace, Message
from bot.domain.state import LearnerState
from bot.flows.compiled import CompiledModule


@dataclass(frozen=True)
class Limits:
    max_message_chars: int = 1500
    lab_exchange_cap: int = 10


@frozen
class FlowContext:
    course: CompiledModule
    actor: Actor
    now: float
    limits: Limits = Limits()
    instance: str = "local"
    """Id of the engine instance applying the event (owner of a lab turn it starts)."""
    lease_s: float = 15.0
    """How long a lab turn's owner is trusted without renewing its lease."""
    transcript: tuple[Turn, ...] = ()
    """The end of the current lab's conversation, which the engine reads for `resume` in a lab
    (a reply committed but never delivered is shown that way)."""

    @property
    def module(self) -> Module:
        return self.course.module


@dataclass(frozen=True)
class AskAdvisor:
    """Job for the engine: get the advisor's reply to the pending turn, outside any lock."""

    lab_id: str
    turn: int


LogEntry = Mapping[str, str | int | float | bool]
"""One entry of the learner's event log (the engine adds the time)."""


@frozen
class Outcome:
    """Result of a transition. `state` None means nothing changed: no commit."""

    state: LearnerState | None
    messages: tuple[Message, ...] = ()
    log: tuple[LogEntry, ...] = ()
    transcript: tuple[Turn, ...] = ()
    lab_id: str | None = None
    job: AskAdvisor | None = None

    @classmethod
    def reply(cls, *messages: Message) -> Outcome:
        """No change, just an answer."""
        return cls(state=None, messages=messages)

    def with_log(self, log: tuple[LogEntry, ...]) -> Outcome:
        """This outcome logging `log` instead. What `dataclasses.replace` does, in half its time
        (it runs on most events); every field is passed on (a test checks that none is left out)."""
        return Outcome(
            state=self.state,
            messages=self.messages,
            log=log,
            transcript=self.transcript,
            lab_id=self.lab_id,
            job=self.job,
        )


# Internal events: the second commit of a lab turn, produced by the engine, never by a platform.


@dataclass(frozen=True)
class AdvisorAnswered:
    turn: int
    text: str
    offline: bool
    on_topic: bool = True
    """The advisor's verdict: False when the message was off the lab's subject (it then does not count)."""


@dataclass(frozen=True)
class AdvisorFailed:
    turn: int
    reason: str
    retryable: bool


@dataclass(frozen=True)
class ClaimTurn:
    """Take over an orphaned lab turn (its engine instance died or timed out)."""

    turn: int


@dataclass(frozen=True)
class RenewLease:
    """The owner of a lab turn is still answering it: extend its lease (and keep where its draft
    is shown, once posted)."""

    turn: int
    draft: DraftPlace | None = None


InternalEvent = AdvisorAnswered | AdvisorFailed | ClaimTurn | RenewLease

AnyEvent = Event | InternalEvent | FacilitatorEvent
"""Everything a transition can be given: a learner's event, one of the engine's own, or a
facilitator's action on the learner's record."""
