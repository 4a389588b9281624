"""Module 2 in `course_data/` says exactly what the published course says.

The source is read independently (`course_source`), and every stem, feedback text, key term,
lab text and lesson paragraph is compared with the loaded module. One test also re-lays the
whole module out the way the source is laid out and compares the two texts character for character.
"""

from __future__ import annotations

import pytest

from bot.course.models import Lesson, Module, Question, Section

from .course_source import SourceModule, SourceQuiz, read_source, split_key_term
from .helpers import MODULE_02

SOURCE = read_source()
LESSONS = [lesson.number for lesson in SOURCE.lessons]
QUIZ_QUESTIONS = [(lesson.number, q.number) for lesson in SOURCE.lessons for q in lesson.quiz.questions]
TEST_QUESTIONS = [q.number for q in SOURCE.test.questions]
KEY_TERMS = [(lesson.number, index) for lesson in SOURCE.lessons for index in range(len(lesson.key_terms))]
PROSE = [(lesson.number, line) for lesson in SOURCE.lessons for line in lesson.prose]


def lesson_of(module: Module, number: int) -> Lesson:
    return next(lesson for lesson in module.lessons if lesson.number == number)


def source_lesson(number: int):  # type: ignore[no-untyped-def]
    return next(lesson for lesson in SOURCE.lessons if lesson.number == number)


# --- the whole text -------------------------------------------------------------------------------


def layout_like_source(module: Module) -> str:
    """The module's text in the source's layout (see the source file for the conventions)."""
    # The strip puts "·" between a lesson's own stops only: L1 · Quiz · Lab, L2 · Quiz · Lab, …
    strip = [f"L{lesson.number}\n·\nQuiz\n·\nLab" for lesson in module.lessons] + ["Module Test"]
    parts = ["\n".join(strip) + "\n"]
    for lesson in module.lessons:
        parts.append(_lesson_text(lesson))
        parts.append(_quiz_text(lesson.quiz.title, lesson.quiz.instructions, lesson.quiz.questions))
        lab = lesson.lab
        parts.append(
            f"{lab.title}\n\n{lab.mode_line}\n\nYour Task\n\n{lab.task}\n\n"
            f"Suggested openers: {' '.join(lab.openers)}\n{lab.advisor}\nLab {lesson.number}\n{lab.greeting}\n"
        )
    test = module.test
    parts.append("\n" + _quiz_text(test.title, test.instructions, test.questions).rstrip("\n"))
    return "".join(parts)


def _lesson_text(lesson: Lesson) -> str:
    text = f"{lesson.label}\n\n{lesson.title}\n\n{lesson.subtitle}\n{lesson.hook}\n\n"
    text += "".join(_section_text(section) for section in lesson.sections)
    text += "Key Terms\n" + "".join(f"{t.term}{t.definition}\n" for t in lesson.key_terms) + "\n"
    return text


def _section_text(section: Section) -> str:
    # In the source a list's items follow its heading directly, and the next heading follows the
    # last item directly; other headings and paragraphs are separated by blank lines.
    text = f"{section.heading}\n" if section.heading else ""
    if section.kind == "list":
        return text + "".join(
            f"{item.label}\n" + (f"{item.text}\n" if item.text else "") for item in section.items
        )
    if section.heading:
        text += "\n"
    return text + "".join(f"{paragraph}\n\n" for paragraph in section.paragraphs)


def _quiz_text(title: str, instructions: str, questions: tuple[Question, ...]) -> str:
    lines = [title, "", instructions]
    for number, question in enumerate(questions, start=1):
        lines += [f"{number}. {question.stem}", question.feedback.correct, question.feedback.incorrect]
    return "\n".join(lines) + "\n\n"


def test_module_text_matches_the_source_character_for_character(
    module02: Module, source: SourceModule
) -> None:
    assert layout_like_source(module02) == source.text


# --- navigation and lesson heads ------------------------------------------------------------------


def test_navigation_strip_matches_the_order(module02: Module, source: SourceModule) -> None:
    labels = [line for line in source.strip if line != "·"]
    assert [unit.label for unit in module02.units] == labels
    assert [unit.label for unit in module02.units] == [
        "L1",
        "Quiz",
        "Lab",
        "L2",
        "Quiz",
        "Lab",
        "L3",
        "Quiz",
        "Lab",
        "L4",
        "Quiz",
        "Lab",
        "Module Test",
    ]
    assert [unit.kind.value for unit in module02.units] == ["lesson", "quiz", "lab"] * 4 + ["test"]


@pytest.mark.parametrize("number", LESSONS)
def test_lesson_head(module02: Module, number: int) -> None:
    lesson, src = lesson_of(module02, number), source_lesson(number)
    assert (lesson.label, lesson.title, lesson.subtitle, lesson.hook) == (
        src.label,
        src.title,
        src.subtitle,
        src.hook,
    )
    assert lesson.label == f"Lesson {number} · Technical Roles"


@pytest.mark.parametrize(("number", "line"), PROSE, ids=[f"L{n}-{line[:30]}" for n, line in PROSE])
def test_every_source_paragraph_is_in_its_lesson_verbatim(module02: Module, number: int, line: str) -> None:
    lesson = lesson_of(module02, number)
    texts = [p for section in lesson.sections for p in section.paragraphs]
    texts += [item.text for section in lesson.sections for item in section.items]
    assert line in texts


@pytest.mark.parametrize("number", LESSONS)
def test_no_lesson_paragraph_is_invented(module02: Module, number: int) -> None:
    prose = set(source_lesson(number).prose)
    for section in lesson_of(module02, number).sections:
        for paragraph in section.paragraphs:
            assert paragraph in prose, paragraph[:60]


@pytest.mark.parametrize("number", LESSONS)
def test_section_kinds(module02: Module, number: int) -> None:
    sections = lesson_of(module02, number).sections
    assert sections[0].kind == "story" and sections[0].heading is None
    for section in sections[1:]:
        assert section.heading
        if section.heading.startswith("Real Case — "):
            assert section.kind == "case"
        elif section.items:
            assert section.kind == "list"
        else:
            assert section.kind == "text"
    assert sum(section.kind == "case" for section in sections) == 1
    assert sum(section.kind == "list" for section in sections) == 1


def test_described_lists_keep_label_and_text(module02: Module) -> None:
    stack = next(s for s in lesson_of(module02, 4).sections if s.heading == "The MLOps Stack")
    assert [item.label for item in stack.items] == [
        "Data Layer",
        "Training Layer",
        "Serving Layer",
        "Monitoring Layer",
    ]
    assert stack.items[0].text.startswith("Data pipelines (Airflow, Spark)")
    environments = next(s for s in lesson_of(module02, 3).sections if s.heading == "Research Environments")
    assert [item.label for item in environments.items] == [
        "Academic Labs",
        "Industrial Research Labs",
        "Frontier AI Labs",
        "Government / Nonprofit",
    ]
    assert all(item.text for item in environments.items)


def test_key_research_venues_stay_one_verbatim_paragraph(module02: Module) -> None:
    venues = next(s for s in lesson_of(module02, 3).sections if s.heading == "Key Research Venues")
    assert venues.kind == "text"
    assert len(venues.paragraphs) == 1
    assert venues.paragraphs[0].startswith("NeurIPS — Neural Information Processing Systems, the largest")
    assert venues.paragraphs[0] in source_lesson(3).prose


# --- key terms ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("number", "index"), KEY_TERMS)
def test_key_term_is_split_from_the_source_line(module02: Module, number: int, index: int) -> None:
    line = source_lesson(number).key_terms[index]
    term = lesson_of(module02, number).key_terms[index]
    assert (term.term, term.definition) == split_key_term(line)
    assert term.term + term.definition == line


def test_tricky_key_terms(module02: Module) -> None:
    terms = {t.term: t.definition for lesson in module02.lessons for t in lesson.key_terms}
    assert terms["Model Drift"].startswith("Degradation in model performance")
    assert terms["A/B Test"].startswith("A controlled experiment")
    assert terms["SOTA"].startswith("State of the Art — ")
    assert terms["CI/CD for ML"].startswith("Continuous integration")
    assert terms["Causal Inference"].startswith("Statistical methods")
    assert len(terms) == 16


# --- quizzes and the test -------------------------------------------------------------------------


def _assert_question(question: Question, src: SourceQuiz, number: int) -> None:
    expected = src.questions[number - 1]
    assert question.stem == expected.stem
    assert question.feedback.correct == expected.correct
    assert question.feedback.incorrect == expected.incorrect


@pytest.mark.parametrize("number", LESSONS)
def test_quiz_head(module02: Module, number: int) -> None:
    quiz, src = lesson_of(module02, number).quiz, source_lesson(number).quiz
    assert (quiz.title, quiz.instructions) == (src.title, src.instructions)
    assert quiz.title.startswith(f"Lesson {number} Quiz — ")
    assert len(quiz.questions) == len(src.questions) == 3


@pytest.mark.parametrize(("number", "question"), QUIZ_QUESTIONS)
def test_quiz_question_text(module02: Module, number: int, question: int) -> None:
    quiz = lesson_of(module02, number).quiz
    _assert_question(quiz.questions[question - 1], source_lesson(number).quiz, question)


def test_module_test_head(module02: Module, source: SourceModule) -> None:
    test = module02.test
    assert (test.title, test.instructions) == ("Module 2 — Module Test", source.test.instructions)
    assert len(test.questions) == 15
    assert test.pass_mark == 0.8
    assert test.pass_score == 12


@pytest.mark.parametrize("question", TEST_QUESTIONS)
def test_module_test_question_text(module02: Module, source: SourceModule, question: int) -> None:
    _assert_question(module02.test.questions[question - 1], source.test, question)


# --- labs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", LESSONS)
def test_lab_text(module02: Module, number: int) -> None:
    lab, src = lesson_of(module02, number).lab, source_lesson(number).lab
    assert (lab.title, lab.mode_line, lab.task, lab.advisor, lab.greeting) == (
        src.title,
        src.mode_line,
        src.task,
        src.advisor,
        src.greeting,
    )
    assert lab.exchanges_required == 3
    assert src.tag == f"Lab {number}"


@pytest.mark.parametrize("number", LESSONS)
def test_lab_openers_are_the_three_source_sentences(module02: Module, number: int) -> None:
    openers = lesson_of(module02, number).lab.openers
    assert len(openers) == 3
    assert " ".join(openers) == source_lesson(number).lab.openers
    for opener in openers:
        assert opener.startswith("Ask ") and opener.endswith(".")


# --- ids and characters ---------------------------------------------------------------------------


def test_ids_follow_the_naming_scheme(module02: Module) -> None:
    assert [lesson.id for lesson in module02.lessons] == [
        "ml-engineer",
        "data-scientist",
        "research-scientist",
        "mlops",
    ]
    for lesson in module02.lessons:
        assert lesson.quiz.id == f"{lesson.id}-quiz"
        assert lesson.lab.id == f"{lesson.id}-lab"
        assert [q.id for q in lesson.quiz.questions] == [f"{lesson.id}-quiz-{n}" for n in (1, 2, 3)]
    assert module02.test.id == "module-test"
    assert [q.id for q in module02.test.questions] == [f"module-test-{n}" for n in range(1, 16)]


@pytest.mark.parametrize("path", sorted(MODULE_02.glob("*.yaml")), ids=lambda p: p.name)
def test_course_files_hold_real_unicode_punctuation(path) -> None:  # type: ignore[no-untyped-def]
    text = path.read_bytes().decode("utf-8")  # strict: fails on anything that is not UTF-8
    for garbled in ("Β·", "β€", "Ã", "â€", "Â", "\ufffd"):
        assert garbled not in text
    if path.name != "module.yaml":
        assert "—" in text


def test_special_characters_survive_loading(module02: Module) -> None:
    dumped = module02.model_dump_json()
    for character in ("—", "–", "·", "→"):
        assert character in dumped
    assert "→" in lesson_of(module02, 2).sections[1].paragraphs[0]
    assert "–" in lesson_of(module02, 1).sections[-1].paragraphs[0]
