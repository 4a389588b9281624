"""Reads the published course text into its parts, so fidelity tests can compare it with `course_data/`.

The source is a copy-paste of the course web page, so its layout is regular but not markup:
a lesson is `label`, `title`, `subtitle` + `hook`, body paragraphs, then "Key Terms" with each term
run into its definition; a quiz is a title, an instructions line and (numbered stem, correct
feedback, incorrect feedback) triples; a lab is a fixed sequence of lines. Anything unexpected
raises `SourceFormatError` naming the line, rather than guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SOURCE_FILE = Path(__file__).resolve().parent.parent / "fixtures" / "source" / "module-02-technical-roles.txt"

_LESSON = re.compile(r"^Lesson (\d+) · ")
_QUIZ = re.compile(r"^Lesson (\d+) Quiz — ")
_LAB = re.compile(r"^Lab (\d+) — ")
_TEST = re.compile(r"^Module \d+ — Module Test$")
_STEM = re.compile(r"^(\d+)\. (.+)$")
_OPENERS_PREFIX = "Suggested openers: "
_SENTENCE_END = re.compile(r"[.?!]\"?$")


class SourceFormatError(ValueError):
    pass


@dataclass(frozen=True)
class SourceQuestion:
    number: int
    stem: str
    correct: str
    incorrect: str


@dataclass(frozen=True)
class SourceQuiz:
    title: str
    instructions: str
    questions: tuple[SourceQuestion, ...]


@dataclass(frozen=True)
class SourceLab:
    title: str
    mode_line: str
    task: str
    openers_line: str
    advisor: str
    tag: str
    greeting: str

    @property
    def openers(self) -> str:
        """The openers sentence without its "Suggested openers: " prefix."""
        return self.openers_line.removeprefix(_OPENERS_PREFIX)


@dataclass(frozen=True)
class SourceLesson:
    number: int
    label: str
    title: str
    subtitle: str
    hook: str
    body: tuple[str, ...]
    """Lines between the hook and "Key Terms", blank lines included."""
    key_terms: tuple[str, ...]
    """Key-term lines exactly as published: the term run into its definition."""
    text: str
    """The lesson's whole text, from its label to the line before its quiz."""
    quiz: SourceQuiz
    lab: SourceLab

    @property
    def prose(self) -> tuple[str, ...]:
        """Body lines that are sentences (paragraphs and list descriptions), not headings or labels."""
        return tuple(line for line in self.body if _SENTENCE_END.search(line))


@dataclass(frozen=True)
class SourceModule:
    strip: tuple[str, ...]
    """The navigation strip at the top: L1, ·, Quiz, ·, Lab, …, Module Test."""
    lessons: tuple[SourceLesson, ...]
    test: SourceQuiz
    text: str


def read_source(path: Path = SOURCE_FILE) -> SourceModule:
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    starts = [
        i
        for i, line in enumerate(lines)
        if _LESSON.match(line) or _QUIZ.match(line) or _LAB.match(line) or _TEST.match(line)
    ]
    if not starts:
        raise SourceFormatError("no lesson found")
    chunks = [lines[a:b] for a, b in zip(starts, starts[1:] + [len(lines)], strict=False)]

    lessons: list[SourceLesson] = []
    test: SourceQuiz | None = None
    pending: tuple[list[str], int] | None = None  # lesson lines waiting for their quiz and lab
    quiz: SourceQuiz | None = None
    for start, chunk in zip(starts, chunks, strict=False):
        head = chunk[0]
        if _QUIZ.match(head):
            quiz = _quiz(chunk, start)
        elif _LAB.match(head):
            if pending is None or quiz is None:
                raise SourceFormatError(f"line {start + 1}: lab without a lesson and quiz before it")
            lesson_lines, lesson_start = pending
            lessons.append(_lesson(lesson_lines, lesson_start, quiz, _lab(chunk, start)))
            pending, quiz = None, None
        elif _TEST.match(head):
            test = _quiz(chunk, start)
        else:
            pending = (chunk, start)
    if test is None or pending is not None:
        raise SourceFormatError("expected every lesson to have a quiz and a lab, then a module test")
    return SourceModule(strip=tuple(lines[: starts[0]]), lessons=tuple(lessons), test=test, text=text)


def split_key_term(line: str) -> tuple[str, str]:
    """Split "Model DriftDegradation in model…" into ("Model Drift", "Degradation in model…").

    The definition starts at the first capital that follows a lowercase letter ("tD" in
    "DriftDegradation", "tA" in "A/B TestA controlled") or that starts a word after an acronym
    ("AS" in "SOTAState", "LC" in "CI/CD for MLContinuous").
    """
    for i in range(1, len(line) - 1):
        here, before, after = line[i], line[i - 1], line[i + 1]
        if not here.isupper():
            continue
        if before.islower() or (before.isupper() and after.islower()):
            return line[:i], line[i:]
    raise SourceFormatError(f"cannot split key term line {line!r}")


def _expect(condition: bool, line_no: int, what: str) -> None:
    if not condition:
        raise SourceFormatError(f"line {line_no + 1}: expected {what}")


def _trim(chunk: list[str]) -> list[str]:
    end = len(chunk)
    while end and chunk[end - 1] == "":
        end -= 1
    return chunk[:end]


def _lesson(chunk: list[str], start: int, quiz: SourceQuiz, lab: SourceLab) -> SourceLesson:
    label, blank1, title, blank2, subtitle, hook, blank3 = chunk[:7]
    _expect(
        blank1 == blank2 == blank3 == "", start, "label, title, subtitle and hook separated by blank lines"
    )
    lines = _trim(chunk)
    _expect("Key Terms" in lines, start, "a Key Terms heading")
    key_at = lines.index("Key Terms")
    match = _LESSON.match(label)
    assert match is not None
    return SourceLesson(
        number=int(match.group(1)),
        label=label,
        title=title,
        subtitle=subtitle,
        hook=hook,
        body=tuple(_trim(lines[7:key_at])),
        key_terms=tuple(lines[key_at + 1 :]),
        text="\n".join(chunk),
        quiz=quiz,
        lab=lab,
    )


def _quiz(chunk: list[str], start: int) -> SourceQuiz:
    lines = _trim(chunk)
    title, blank, instructions, *rest = lines
    _expect(blank == "", start + 1, "a blank line after the quiz title")
    _expect(len(rest) % 3 == 0, start + 3, "(stem, correct, incorrect) triples")
    questions = []
    for offset in range(0, len(rest), 3):
        stem_line, correct, incorrect = rest[offset : offset + 3]
        match = _STEM.match(stem_line)
        _expect(match is not None, start + 3 + offset, "a numbered question stem")
        assert match is not None
        questions.append(SourceQuestion(int(match.group(1)), match.group(2), correct, incorrect))
    return SourceQuiz(title=title, instructions=instructions, questions=tuple(questions))


def _lab(chunk: list[str], start: int) -> SourceLab:
    lines = _trim(chunk)
    _expect(len(lines) == 12, start, "a lab of 12 lines")
    title, b1, mode_line, b2, your_task, b3, task, b4, openers_line, advisor, tag, greeting = lines
    _expect(b1 == b2 == b3 == b4 == "" and your_task == "Your Task", start, "the lab layout")
    _expect(openers_line.startswith(_OPENERS_PREFIX), start + 8, "Suggested openers")
    return SourceLab(title, mode_line, task, openers_line, advisor, tag, greeting)
