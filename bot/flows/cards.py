"""Small builders shared by the flows: buttons every card carries and one-line notices."""

from __future__ import annotations

from bot.domain.events import StepAction
from bot.domain.messages import Button, Message, Paragraph
from bot.domain.state import LearnerState

MENU = Button(label="Menu", action="menu")
RESUME = Button(label="Resume", action="resume", style="primary")
PROGRESS = Button(label="Progress", action="progress")


def button(
    state: LearnerState, label: str, action: StepAction, arg: str = "", *, primary: bool = False
) -> Button:
    """A button that changes state: it carries the current step token."""
    return Button(
        label=label, action=action, arg=arg, token=str(state.token), style="primary" if primary else "default"
    )


def notice(text: str, *actions: Button) -> Message:
    """A short answer that changes nothing; platforms may show it only to the learner."""
    return Message(blocks=(Paragraph(text=text),), actions=actions, notice=True)


def paragraphs(*texts: str) -> tuple[Paragraph, ...]:
    return tuple(Paragraph(text=text) for text in texts if text)
