"""The learner's own say over nudges, the same on every platform: `/tutor pause` (or typing
`pause`) stops them, and lesson-release messages too, until `/tutor resume` or any activity;
`/tutor resume` says they are back on, then shows where the learner is as it always does.
In a lab the typed words are the learner's own, to the advisor: only the commands act there."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.domain.events import Actor, Command, Event, Text
from bot.domain.messages import Message, Paragraph
from bot.domain.outbox import Outbox
from bot.nudges.record import NudgeRecords

PAUSE = "pause"
RESUME = "resume"


def _resume_word(actor: Actor) -> str:
    return "`resume`" if actor.platform == "terminal" else "`/tutor resume`"


def paused_text(actor: Actor) -> str:
    return (
        "Nudges are off: I won't send you reminders or lesson-release messages. "
        f"Type {_resume_word(actor)} to turn them back on (anything you do in the course does too)."
    )


BACK_ON = "Nudges are back on: I'll remind you if you are away from the course for a while."


def _note(text: str) -> Message:
    return Message(blocks=(Paragraph(text=text),), notice=True)


def word_of(event: Event) -> str | None:
    """`pause` or `resume`, as a command or typed on its own; None for anything else."""
    if isinstance(event, Command):
        return event.name if event.name in (PAUSE, RESUME) else None
    if isinstance(event, Text):
        word = event.text.strip().lower().lstrip("/")
        return word if word in (PAUSE, RESUME) else None
    return None


class NudgeControls:
    def __init__(
        self,
        records: NudgeRecords,
        clock: Callable[[], float],
        reads_text: Callable[[Actor], Awaitable[bool]],
    ) -> None:
        """`reads_text`: whether the learner's step takes what they type as their own words
        (`Engine.reads_text`)."""
        self.records = records
        self.clock = clock
        self.reads_text = reads_text

    async def take(self, event: Event, outbox: Outbox) -> bool:
        """Act on `pause` and `resume`; True when that answered the event (the engine need not
        see it). A `resume` goes on to the engine, which shows the step and logs the return."""
        word = word_of(event)
        actor = event.actor
        if word is not None and isinstance(event, Text) and await self.reads_text(actor):
            return False  # a word of what they are saying in the lab
        if word == PAUSE:
            await self.records.pause(actor, self.clock())
            await outbox.send(actor, [_note(paused_text(actor))])
            return True
        if word == RESUME and await self.records.resume(actor):
            await outbox.send(actor, [_note(BACK_ON)])
        return False
