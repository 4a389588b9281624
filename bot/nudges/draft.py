"""What a nudge says: where the learner stopped, and a Resume button that takes them back."""

from __future__ import annotations

from bot.domain.messages import Button, Message, Paragraph


def nudge_text(current: str, number: int) -> str:
    where = f"You stopped at {current}." if current and current != "menu" else "You have not started yet."
    again = " (a second reminder)" if number == 2 else " (a last reminder)" if number >= 3 else ""
    return f"{where} Pick up where you left off whenever you are ready{again}."


def nudge_message(text: str) -> Message:
    return Message(
        heading="A nudge from your course",
        blocks=(Paragraph(text=text),),
        actions=(Button(label="Resume", action="resume", style="primary"),),
    )
