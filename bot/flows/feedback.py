"""What a learner is told about an answer: one verdict, then the course's own words.

The source's feedback texts often begin with their own verdict ("Correct." / "Not quite."):
the card already shows ✅ or ❌ with the verdict, so that leading word is left out when shown.
After a wrong answer the learner reads what is wrong with the option they chose (its `why`),
the source's explanation, and which option was right.
"""

from __future__ import annotations

import re

from bot.course.models import Option, Question
from bot.domain.messages import Paragraph

_LEADING_VERDICT = re.compile(r"^\s*(?:correct|not quite)\s*[.!:—-]\s*", re.IGNORECASE)


def without_verdict(text: str) -> str:
    """The source text without a leading "Correct." or "Not quite." (it would say the verdict twice)."""
    rest = _LEADING_VERDICT.sub("", text, count=1)
    return rest[:1].upper() + rest[1:] if rest else text


def verdict(right: bool) -> str:
    return "✅ Correct." if right else "❌ Not quite."


def answer_feedback(question: Question, option: Option) -> tuple[Paragraph, ...]:
    """The feedback shown right after `option` was chosen for `question`."""
    head = f"{verdict(option.correct)} You answered: _{option.text}_"
    if option.correct:
        return (Paragraph(text=head), Paragraph(text=without_verdict(question.feedback.correct)))
    lines = [head]
    if option.why:
        lines.append(option.why)
    blocks = [Paragraph(text="\n".join(lines)), Paragraph(text=without_verdict(question.feedback.incorrect))]
    blocks.append(Paragraph(text=f"The correct answer: **{question.correct_option.text}**"))
    return tuple(blocks)
