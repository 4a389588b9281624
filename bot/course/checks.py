"""Checks on course content beyond what the models enforce by themselves.

The models make sure each file has the right fields; these checks make sure the text can be
shown on every platform (see `limits`), is not garbled by a wrong encoding, and that ids and the
navigation order hold together across the files of a module.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bot.course.limits import FIELD_MAX, MAX_OPTIONS, MIN_OPTIONS, OPTION_MAX, TEXT_MAX, TITLE_MAX
from bot.course.locate import locate
from bot.course.models import Lab, Lesson, ModuleTest, Question, Quiz, Section
from bot.course.problems import Problem

MOJIBAKE_MARKERS = ("â€", "Ã", "Â", "Β·", "β€", "ΓÇ", "\ufffd")
"""What UTF-8 text looks like after being decoded with the wrong code page: `—` becomes `â€”`
(Windows-1252) or `β€”` (Windows-1253), `·` becomes `Â·` or `Β·`, `é` becomes `Ã©`, and `ΓÇö`
comes from the DOS code page. U+FFFD replaces bytes that could not be decoded at all."""

_WHERE = {
    TITLE_MAX: "fit in a Slack header",
    TEXT_MAX: "fit in a Slack section",
    FIELD_MAX: "fit in a Discord embed field",
    OPTION_MAX: "are allowed for an answer option",
}


@dataclass(frozen=True)
class UnitRef:
    """Where a unit or question id is defined, for cross-file checks."""

    kind: str  # lesson, quiz, lab, question, test
    id: str
    file: str
    lesson_id: str | None = None


def garbled_text(data: Any, file: str, root: str) -> list[Problem]:
    """Find strings in a file's data that contain mojibake."""
    problems = []
    for loc, text in _strings(data, ()):
        marker = next((m for m in MOJIBAKE_MARKERS if m in text), None)
        if marker is None:
            continue
        item, field = locate(data, loc, root)
        at = text.index(marker)
        context = text[max(0, at - 15) : at + 15]
        problems.append(
            Problem(
                file,
                item,
                f"{field or 'text'} looks garbled ({marker!r} in {context!r}): the text was decoded with the "
                "wrong encoding somewhere; retype the characters and save the file as UTF-8",
            )
        )
    return problems


def _strings(node: Any, loc: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(node, str):
        yield loc, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, (*loc, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, (*loc, index))


class _Findings:
    """Collects problems for one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, item: str, message: str) -> None:
        self.problems.append(Problem(self.file, item, message))

    def limit(self, item: str, field: str, text: str, max_chars: int) -> None:
        if len(text) > max_chars:
            self.add(item, f"{field} is {len(text)} characters; at most {max_chars} {_WHERE[max_chars]}")


def lesson_problems(lesson: Lesson, file: str) -> list[Problem]:
    found = _Findings(file)
    root = f"lesson {lesson.id}"
    for field in ("label", "title", "subtitle"):
        found.limit(root, field, getattr(lesson, field), TITLE_MAX)
    found.limit(root, "hook", lesson.hook, TEXT_MAX)
    if not lesson.sections:
        found.add(root, "has no sections")
    for index, section in enumerate(lesson.sections):
        _section(found, section, index)
    terms = [term.term.casefold() for term in lesson.key_terms]
    for term in lesson.key_terms:
        item = f"key term {term.term!r}"
        found.limit(item, "term", term.term, TITLE_MAX)
        found.limit(item, "definition", term.definition, FIELD_MAX)
    for duplicate in sorted({t for t in terms if terms.count(t) > 1}):
        found.add(f"key term {duplicate!r}", "is defined more than once")
    _quiz(found, lesson.quiz)
    for question in lesson.quiz.questions:
        if question.lesson is not None and question.lesson != lesson.id:
            found.add(
                f"question {question.id}",
                f"lesson is {question.lesson!r}, but a quiz question belongs to its own lesson "
                f"{lesson.id!r}: leave `lesson` out",
            )
        _section_ref(found, question, lesson)
    _lab(found, lesson.lab)
    return found.problems


def test_source_problems(test: ModuleTest, lessons: Sequence[Lesson], file: str) -> list[Problem]:
    """Each module test question's `lesson` and `section` must name a lesson and one of its sections."""
    found = _Findings(file)
    by_id = {lesson.id: lesson for lesson in lessons}
    for question in test.questions:
        item = f"question {question.id}"
        if question.lesson is None:
            if question.section is not None:
                found.add(item, "has a section but no lesson: name the lesson the section is in")
            continue
        lesson = by_id.get(question.lesson)
        if lesson is None:
            found.add(item, f"lesson {question.lesson!r} is not a lesson of this module")
            continue
        _section_ref(found, question, lesson)
    return found.problems


def _section_ref(found: _Findings, question: Question, lesson: Lesson) -> None:
    if question.section is None or question.section in lesson.section_names():
        return
    names = ", ".join(repr(name) for name in lesson.section_names())
    found.add(
        f"question {question.id}",
        f"section {question.section!r} is not a section of lesson {lesson.id!r} (its sections: {names})",
    )


def test_problems(test: ModuleTest, file: str) -> list[Problem]:
    found = _Findings(file)
    root = f"test {test.id}"
    found.limit(root, "title", test.title, TITLE_MAX)
    found.limit(root, "instructions", test.instructions, TITLE_MAX)
    if not test.questions:
        found.add(root, "has no questions")
    for question in test.questions:
        _question(found, question)
    return found.problems


def title_problems(title: str, file: str, item: str) -> list[Problem]:
    found = _Findings(file)
    found.limit(item, "title", title, TITLE_MAX)
    return found.problems


def _section(found: _Findings, section: Section, index: int) -> None:
    heading = section.heading
    item = f"section {heading.strip()[:40]!r}" if heading and heading.strip() else f"section {index + 1}"
    if heading is not None:
        if not heading.strip():
            found.add(item, "heading is empty: leave it out for an untitled section")
        found.limit(item, "heading", heading, TITLE_MAX)
    if not section.paragraphs and not section.items:
        found.add(item, "has no text: give it paragraphs (or items, for a list)")
    elif section.kind == "list" and not section.items:
        found.add(item, "is a list section but has no items")
    for number, paragraph in enumerate(section.paragraphs, start=1):
        found.limit(f"{item}, paragraph {number}", "text", paragraph, TEXT_MAX)
    for entry in section.items:
        entry_item = f"{item}, item {entry.label[:40]!r}"
        found.limit(entry_item, "label", entry.label, TITLE_MAX)
        found.limit(entry_item, "text", entry.text, TEXT_MAX)
    found.limit(item, "the section as a whole", section.body, TEXT_MAX)


def _quiz(found: _Findings, quiz: Quiz) -> None:
    item = f"quiz {quiz.id}"
    found.limit(item, "title", quiz.title, TITLE_MAX)
    found.limit(item, "instructions", quiz.instructions, TITLE_MAX)
    if not quiz.questions:
        found.add(item, "has no questions")
    for question in quiz.questions:
        _question(found, question)


def _question(found: _Findings, question: Question) -> None:
    item = f"question {question.id}"
    found.limit(item, "stem", question.stem, TEXT_MAX)
    found.limit(item, "feedback.correct", question.feedback.correct, TEXT_MAX)
    found.limit(item, "feedback.incorrect", question.feedback.incorrect, TEXT_MAX)
    count = len(question.options)
    if not MIN_OPTIONS <= count <= MAX_OPTIONS:
        found.add(
            item,
            f"has {count} option{'' if count == 1 else 's'}; a question needs {MIN_OPTIONS} to {MAX_OPTIONS}",
        )
    for option in question.options:
        found.limit(f"{item}, option {option.id}", "text", option.text, OPTION_MAX)
        if not option.correct and not option.why.strip():
            found.add(
                f"{item}, option {option.id}",
                "needs a `why`: one line on what is wrong with this option, shown to a learner who picks it",
            )
        if option.correct and option.why.strip():
            found.add(f"{item}, option {option.id}", "is the correct option, so it takes no `why`")
        found.limit(f"{item}, option {option.id}", "why", option.why, TEXT_MAX)


def _lab(found: _Findings, lab: Lab) -> None:
    item = f"lab {lab.id}"
    for field in ("title", "mode_line", "advisor"):
        found.limit(item, field, getattr(lab, field), TITLE_MAX)
    found.limit(item, "task", lab.task, TEXT_MAX)
    for number, opener in enumerate(lab.openers, start=1):
        found.limit(f"{item}, opener {number}", "text", opener, TEXT_MAX)
    found.limit(item, "greeting", lab.greeting, FIELD_MAX)


def lesson_refs(lesson: Lesson, file: str) -> list[UnitRef]:
    refs = [
        UnitRef("lesson", lesson.id, file, lesson.id),
        UnitRef("quiz", lesson.quiz.id, file, lesson.id),
        UnitRef("lab", lesson.lab.id, file, lesson.id),
    ]
    refs += [UnitRef("question", question.id, file) for question in lesson.quiz.questions]
    return refs


def test_refs(test: ModuleTest, file: str) -> list[UnitRef]:
    return [UnitRef("test", test.id, file)] + [UnitRef("question", q.id, file) for q in test.questions]


def duplicate_ids(refs: Sequence[UnitRef]) -> list[Problem]:
    """Every id must be unique in its module: learner progress is keyed by it."""
    first: dict[str, UnitRef] = {}
    problems = []
    for ref in refs:
        earlier = first.setdefault(ref.id, ref)
        if earlier is ref:
            continue
        where = "earlier in this file" if earlier.file == ref.file else f"in {earlier.file}"
        problems.append(
            Problem(ref.file, f"{ref.kind} {ref.id}", f"duplicate id: also used by a {earlier.kind} {where}")
        )
    return problems


def order_problems(order: Sequence[str], refs: Sequence[UnitRef], file: str) -> list[Problem]:
    """The order must list every lesson, quiz, lab and the test once, each quiz and lab after its lesson."""
    units = {ref.id: ref for ref in refs if ref.kind != "question"}
    questions = {ref.id for ref in refs if ref.kind == "question"}
    found = _Findings(file)
    seen: set[str] = set()
    for unit_id in order:
        if unit_id in seen:
            found.add("order", f"unit {unit_id!r} is listed more than once")
        elif unit_id in questions:
            found.add(
                "order", f"{unit_id!r} is a question, not a unit: list lessons, quizzes, labs and the test"
            )
        elif unit_id not in units:
            found.add("order", f"unknown unit {unit_id!r}: no lesson, quiz, lab or test has this id")
        else:
            unit = units[unit_id]
            if unit.kind in ("quiz", "lab") and unit.lesson_id not in seen and unit.lesson_id in order:
                found.add("order", f"{unit.kind} {unit_id!r} comes before its lesson {unit.lesson_id!r}")
        seen.add(unit_id)
    for unit in units.values():
        if unit.id not in seen:
            found.add("order", f"{unit.kind} {unit.id!r} (from {unit.file}) is missing from the order")
    return found.problems
