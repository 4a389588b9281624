"""A course module with what is derived from it built once: its lesson cards, the parts of its
question cards that are the same for every learner, and the search indexes of its lessons
(which the lab flow and the offline advisor both read).

The runtime compiles its module once; the engine hands it to every transition in its context,
so nothing is rebuilt per event and nothing is cached behind the flows' backs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.advisor.retrieval import LessonIndexes
from bot.advisor.substance import normalise
from bot.course.models import Lesson, Module
from bot.domain.messages import Block, Bullets, KeyTermList, Message, Paragraph


@dataclass(frozen=True)
class CompiledModule:
    module: Module
    lesson_cards: Mapping[str, tuple[Message, ...]]
    """Lesson id → the lesson's content cards, without buttons."""
    card_footers: Mapping[str, tuple[Paragraph, ...]]
    """Lesson id → the footer of each of its content cards ("Card 2 of 7")."""
    stems: Mapping[str, Paragraph]
    """A quiz or test question's stem → the paragraph that shows it."""
    choices: Mapping[str, tuple[tuple[str, str], ...]]
    """A quiz or test question's id → the label and option id of each of its options, in the
    course's order: what its answer buttons show and send (question ids are unique in a module)."""
    openers: Mapping[str, frozenset[str]]
    """A lab's id → its suggested openers, normalised: what a typed message is compared with."""
    indexes: LessonIndexes

    @classmethod
    def of(cls, module: Module) -> CompiledModule:
        cards = {lesson.id: lesson_cards(lesson) for lesson in module.lessons}
        questions = [*(q for lesson in module.lessons for q in lesson.quiz.questions), *module.test.questions]
        return cls(
            module=module,
            lesson_cards=cards,
            card_footers={
                lesson_id: tuple(
                    Paragraph(text=f"_Card {n} of {len(content)}_") for n in range(1, len(content) + 1)
                )
                for lesson_id, content in cards.items()
            },
            stems={q.stem: Paragraph(text=f"**{q.stem}**") for q in questions},
            choices={q.id: tuple((option.text, option.id) for option in q.options) for q in questions},
            openers={
                lesson.lab.id: frozenset(map(normalise, lesson.lab.openers)) for lesson in module.lessons
            },
            indexes=LessonIndexes(module.lessons),
        )


def lesson_cards(lesson: Lesson) -> tuple[Message, ...]:
    """Card 0 (title, subtitle, opening question), one card per section, then the key terms."""
    out = [
        Message(
            heading=f"Lesson {lesson.number} · {lesson.title}",
            blocks=(Paragraph(text=f"_{lesson.subtitle}_"), Paragraph(text=f"**{lesson.hook}**")),
        )
    ]
    for section in lesson.sections:
        blocks: list[Block] = [Paragraph(text=text) for text in section.paragraphs]
        if section.items:
            blocks.append(
                Bullets(items=tuple(f"**{i.label}**: {i.text}" if i.text else i.label for i in section.items))
            )
        heading = section.heading or f"Lesson {lesson.number} · {lesson.title}"
        out.append(Message(heading=heading, blocks=tuple(blocks)))
    out.append(
        Message(
            heading="Key terms",
            blocks=(KeyTermList(terms=tuple((t.term, t.definition) for t in lesson.key_terms)),),
        )
    )
    return tuple(out)
