"""Messages the render tests share: one of every block kind, and the long and awkward cases."""

from __future__ import annotations

import re

from bot.domain.events import Actor
from bot.domain.messages import (
    AdvisorReply,
    Bullets,
    Button,
    KeyTermList,
    Message,
    Paragraph,
    ProgressStrip,
    StripUnit,
)

ACTOR = Actor(platform="slack", tenant="T0001", user="U0001")

SENTENCE = (
    "An ML engineer turns a promising notebook into a service that answers reliably — at scale, every day."
)


def long_paragraph(chars: int = 3500) -> str:
    """Numbered sentences, so a test can tell exactly which words survived rendering."""
    sentences: list[str] = []
    n = 0
    while sum(len(s) + 1 for s in sentences) < chars:
        n += 1
        sentences.append(f"Sentence{n} says that deployment{n} needs monitoring{n} and care.")
    return " ".join(sentences)


def strip() -> ProgressStrip:
    units = [("L1", "done"), ("Quiz", "done"), ("Lab", "current"), ("L2", "open"), ("Quiz", "locked")]
    units += [("Module Test", "locked")]
    return ProgressStrip(units=tuple(StripUnit(label=label, status=status) for label, status in units))  # type: ignore[arg-type]


def option(letter: str, length: int = 150) -> str:
    """An answer option of exactly `length` characters."""
    text = f"Option {letter}: " + " ".join(f"{letter.lower()}word{i}" for i in range(40))
    return text[: length - 1].rstrip() + "."


def choices(n: int = 4, length: int = 150, token: str = "7") -> tuple[Button, ...]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return tuple(
        Button(label=option(letters[i % 26] + str(i), length), action="answer", arg=f"opt-{i}", token=token)
        for i in range(n)
    )


def every_block() -> Message:
    """A lesson-like card holding one of each block kind, unicode included, and both button kinds."""
    return Message(
        heading="Lesson 1 — ML Engineer 🤖",
        blocks=(
            strip(),
            Paragraph(text="The **ML engineer** ships _models_ → products · reliably. Costs < 5% & rising?"),
            Bullets(items=("PyTorch / TensorFlow", "Docker & Kubernetes", "Feature stores → 🧠")),
            KeyTermList(
                terms=(
                    ("Inference", "Running a trained model on new data."),
                    ("MLOps", "DevOps for ML — pipelines, monitoring."),
                )
            ),
            AdvisorReply(advisor="Priya", text="Hi! Tell me about your _first_ deployment.", turn=1),
        ),
        choices=choices(4),
        actions=(
            Button(label="Continue", action="next", token="7", style="primary"),
            Button(label="Reset lesson", action="retake", token="7", style="danger"),
            Button(label="Menu", action="menu"),
        ),
    )


def words(text: str) -> list[str]:
    """The words of a text, without markdown or punctuation, for 'nothing was lost' checks."""
    return re.findall(r"[A-Za-z0-9]+", text)
