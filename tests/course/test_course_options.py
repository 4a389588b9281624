"""The authored answer options of Module 2 follow the authoring rules.

The source has no options: each question gets four, exactly one correct, with distractors that
hold the wrong ideas its "incorrect" feedback names, and nothing in the option lengths or
positions that gives the answer away.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bot.course.limits import OPTION_MAX
from bot.course.loader import load_module
from bot.course.models import Question

from .helpers import MODULE_02

QUESTIONS: list[Question] = [q for lesson in load_module(MODULE_02).lessons for q in lesson.quiz.questions]
QUESTIONS += list(load_module(MODULE_02).test.questions)
BY_ID = {question.id: question for question in QUESTIONS}


def test_there_are_27_questions() -> None:
    assert len(QUESTIONS) == 27


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_four_options_one_correct(question: Question) -> None:
    assert [option.id for option in question.options] == ["a", "b", "c", "d"]
    assert sum(option.correct for option in question.options) == 1
    texts = [option.text.casefold() for option in question.options]
    assert len(set(texts)) == 4
    for option in question.options:
        assert len(option.text) <= OPTION_MAX < 150
        assert "all of the above" not in option.text.casefold()
        assert "none of the above" not in option.text.casefold()


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_lengths_do_not_give_the_answer_away(question: Question) -> None:
    correct = len(question.correct_option.text)
    others = [len(option.text) for option in question.options if not option.correct]
    assert correct <= 1.2 * max(others)
    assert correct >= 0.7 * min(others)


def test_correct_option_is_rarely_the_longest() -> None:
    longest = [
        q.id
        for q in QUESTIONS
        if len(q.correct_option.text) > max(len(o.text) for o in q.options if not o.correct)
    ]
    assert len(longest) <= len(QUESTIONS) // 4, longest


def test_correct_positions_vary() -> None:
    positions = Counter(q.correct_option.id for q in QUESTIONS)
    assert set(positions) == {"a", "b", "c", "d"}
    assert max(positions.values()) <= 8
    runs = [
        QUESTIONS[i].correct_option.id == QUESTIONS[i + 1].correct_option.id
        for i in range(len(QUESTIONS) - 1)
    ]
    assert not any(runs), "the same letter is correct twice in a row"


# Wrong ideas that a question's "Not quite" feedback names, each held by a distractor.
DISTRACTOR_IDEAS = {
    "ml-engineer-quiz-1": ["C++", "universities"],  # "not language choice or work setting"
    "ml-engineer-quiz-2": ["training"],  # "The training was already complete"
    "data-scientist-quiz-1": ["deep neural networks"],  # "not for proving deep learning's dominance"
    "data-scientist-quiz-3": ["disappearing", "merged entirely"],  # "rather than disappearing or merging"
    "research-scientist-quiz-3": ["credential", "policies"],  # "not for credential or legal reasons"
    "mlops-quiz-1": ["algorithm", "architecture", "method"],  # "not an algorithmic innovation"
    "mlops-quiz-2": ["Most of it", "largest"],  # "argued the opposite"
    "module-test-1": ["Inventing", "visualization", "budget"],  # "research, visualization, or finance"
    "module-test-4": ["Deep neural networks"],  # "not Transformers, RLHF, or GANs, which came later"
    "module-test-8": ["Patents", "Revenue", "Code merged"],  # "not patents, revenue, or code commits"
    "module-test-9": ["scales", "Comparing"],  # "not a scaling or comparison experiment"
    "module-test-14": [
        "R and SQL",
        "mathematical depth",
        "smaller companies",
    ],  # "tool choice, math depth, or work setting"
}


@pytest.mark.parametrize(("question_id", "ideas"), DISTRACTOR_IDEAS.items())
def test_distractors_hold_the_wrong_ideas_the_feedback_names(question_id: str, ideas: list[str]) -> None:
    question = BY_ID[question_id]
    distractors = [option.text for option in question.options if not option.correct]
    for idea in ideas:
        assert any(idea in text for text in distractors), idea
        assert idea not in question.correct_option.text


def test_correct_options_state_the_correct_feedback() -> None:
    # A few spot checks that the correct option says what "Correct." explains.
    assert "TorchScript" in BY_ID["module-test-2"].correct_option.text
    assert "3 trillion" in BY_ID["module-test-12"].correct_option.text
    assert "small fraction" in BY_ID["module-test-13"].correct_option.text
    assert "photo" in BY_ID["data-scientist-quiz-2"].correct_option.text
    assert "Removing components" in BY_ID["module-test-9"].correct_option.text
    assert "precomputed features" in BY_ID["mlops-quiz-3"].correct_option.text
