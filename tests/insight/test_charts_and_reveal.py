"""Charts decode as phone-sized, non-blank PNGs whose summaries say the cohort's real figures;
the reveal holds no names or ids, refuses small cohorts, and keeps the answer for its second step."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageStat

from bot.cohorts.commands import CHART_KINDS
from bot.course.loader import load_module
from bot.course.models import Module
from bot.domain.state import LabResult, LearnerState, Progress, QuizResult, TestAttempt
from bot.insight.charts import LearnerFacts, render
from bot.insight.items import FirstAnswers, Item, course_items
from bot.insight.reveal import MIN_ANSWERS, RevealRefused, answer_text, distribution, find_item
from tests.engine.conftest import COURSE

DAY = 86400.0
T0 = 1_790_000_000.0


@pytest.fixture(scope="module")
def module() -> Module:
    return load_module(COURSE)


def learner(module: Module, lessons: int, best: int | None, days: tuple[int, ...]) -> LearnerFacts:
    """A learner who finished `lessons` whole lessons (lesson, quiz and lab) and whose best test
    score is `best`, active on the given days."""
    progress = Progress()
    for lesson in module.lessons[:lessons]:
        progress = progress.with_lesson_done(lesson.id)
        progress = progress.with_quiz(lesson.quiz.id, QuizResult(first=2, best=3, total=3))
        progress = progress.with_lab(lesson.lab.id, LabResult(exchanges=3, done=True))
    if best is not None:
        total = len(module.test.questions)
        attempt = TestAttempt(score=best, total=total, passed=module.test.passes(best), finished_at=T0)
        progress = progress.with_test_finished(attempt)
    state = LearnerState(module_id=module.id, started_at=T0).with_progress(progress)
    return LearnerFacts(state=state, event_times=tuple(T0 + d * DAY + 60 for d in days))


def cohort(module: Module) -> list[LearnerFacts]:
    return [
        learner(module, 4, 14, (0, 1, 2)),
        learner(module, 4, 13, (0, 2)),
        learner(module, 4, 6, (1,)),
        learner(module, 2, None, (0,)),
        learner(module, 1, None, (0,)),
        LearnerFacts(state=None, event_times=()),
    ]


def image(png: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(png))
    picture.load()
    return picture


@pytest.mark.parametrize("kind", CHART_KINDS)
def test_each_chart_is_a_phone_sized_picture_with_something_drawn(module: Module, kind: str) -> None:
    chart = render(kind, module, "spring", cohort(module))  # type: ignore[arg-type]  # parametrised kinds
    picture = image(chart.png)
    assert picture.format == "PNG"
    assert picture.size == (1080, 810)
    extrema = ImageStat.Stat(picture.convert("L")).extrema[0]
    assert extrema[1] - extrema[0] > 100, "the image is blank"
    colours = picture.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 10


def test_summaries_state_the_cohorts_figures(module: Module) -> None:
    learners = cohort(module)
    funnel = render("funnel", module, "spring", learners).summary
    assert "6 enrolled, 5 started" in funnel
    assert "L1 5" in funnel and "L3 3" in funnel and "Test passed 2" in funnel
    scores = render("scores", module, "spring", learners).summary
    assert f"3 learners sat the test, 2 passed (pass mark {module.test.pass_score}/15)" in scores
    assert "median best score 13/15" in scores
    activity = render("activity", module, "spring", learners).summary
    assert "active on 3 days" in activity and "busiest" in activity and "with 4 learners" in activity


def test_an_empty_cohort_still_gets_a_clear_summary(module: Module) -> None:
    assert "nobody has sat the test yet" in render("scores", module, "new", []).summary
    assert "no activity recorded yet" in render("activity", module, "new", []).summary


def answers_for(item: Item, options: list[str]) -> list[FirstAnswers]:
    return [{item.unit: {item.question.id: option}} for option in options]


def test_reveal_shows_counts_not_people_and_keeps_the_answer_back(module: Module) -> None:
    item = find_item(module, "L1Q2")
    assert item is not None and item.question.id == module.lessons[0].quiz.questions[1].id
    ids = [o.id for o in item.question.options]
    learners = answers_for(item, [ids[0]] * 3 + [ids[1]] * 2 + [ids[2]])
    reveal = distribution(module, item, learners, "spring")
    lines = reveal.text.splitlines()
    assert "answer it in the course first" in lines[0].lower()
    assert item.question.stem in reveal.text
    assert [count for _, count in reveal.counts] == [3, 2, 1, 0]
    for option in item.question.options:
        assert option.text in reveal.text
    key = next(o for o in item.question.options if o.correct)
    assert item.question.feedback.correct not in reveal.text
    assert "answer to" not in reveal.text.lower()
    answer = answer_text(module, item)
    assert key.text in answer and "L1Q2" in answer
    assert image(reveal.png).format == "PNG"


def test_reveal_refuses_a_cohort_too_small_to_stay_anonymous(module: Module) -> None:
    item = find_item(module, "T3")
    assert item is not None and item.question.id == module.test.questions[2].id
    learners = answers_for(item, [item.key] * (MIN_ANSWERS - 1)) + [{}] * 10
    with pytest.raises(RevealRefused, match=f"Only {MIN_ANSWERS - 1} of the cohort answered T3"):
        distribution(module, item, learners, "spring")


def test_questions_are_found_by_id_or_short_name_and_nothing_else(module: Module) -> None:
    every = course_items(module)
    assert find_item(module, every[0].question.id) == every[0]
    assert find_item(module, "l4q3") == Item(module.lessons[3].quiz.id, module.lessons[3].quiz.questions[2])
    for wrong in ("L5Q1", "L1Q4", "T16", "T0", "Q2", "nonsense"):
        assert find_item(module, wrong) is None
