"""What a nudge says: where the learner stopped and about how long the rest takes ("You
stopped at Lesson 3 · Quiz, question 2 of 3 — about 4 minutes to finish."), and a Resume
button that takes them back."""

from __future__ import annotations

from bot.domain.messages import Button, Message, Paragraph
from bot.flows.stopped import Stopped

PAUSE_HINT = "Type `pause` if you'd rather not get these reminders."


def _minutes(minutes: int) -> str:
    return f"about {minutes} minute{'s' if minutes != 1 else ''}"


def nudge_text(stopped: Stopped | None, started: bool, number: int, last: bool) -> str:
    """The nudge's words; `number` counts the nudges of this inactive stretch, `last` says no
    more will follow it (`max-nudges`)."""
    if stopped is None:
        where = "Your course is waiting for you."
    elif stopped.begun:
        where = f"You stopped at {stopped} — {_minutes(stopped.minutes)} to finish."
    elif started:
        where = f"Next for you: {stopped.unit} — {_minutes(stopped.minutes)}."
    else:
        where = f"You have not started yet. {stopped.unit} takes {_minutes(stopped.minutes)}."
    again = " This is the last reminder." if last and number > 1 else ""
    return f"{where} Pick up where you left off whenever you are ready.{again} {PAUSE_HINT}"


def nudge_message(text: str) -> Message:
    return Message(
        heading="A nudge from your course",
        blocks=(Paragraph(text=text),),
        actions=(Button(label="Resume", action="resume", style="primary"),),
    )
