"""Cohort charts as PNG images, each with a text summary for screen readers and notifications.

Rendered with matplotlib's Agg backend through its object API (a `Figure` per chart, never
pyplot's global figure manager), so rendering needs no display and is safe in a bot process.
Sized for a phone: a 1080×810-pixel image with large type, one chart per message.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.cohorts.commands import ChartKind
from bot.course.models import Module
from bot.domain.state import LearnerState

SIZE_IN = (7.2, 5.4)
DPI = 150
FONT = 15
BAR = "#3b6ea8"
PASS_LINE = "#c0392b"


@dataclass(frozen=True)
class LearnerFacts:
    """What the charts need of one learner: their state (None before they start) and the
    times of their recorded events."""

    state: LearnerState | None
    event_times: tuple[float, ...]


@dataclass(frozen=True)
class Chart:
    kind: ChartKind
    png: bytes
    summary: str
    """The chart in one or two sentences of plain text."""


def render(kind: ChartKind, module: Module, cohort: str, learners: Sequence[LearnerFacts]) -> Chart:
    if kind == "funnel":
        return _funnel(module, cohort, learners)
    if kind == "scores":
        return _scores(module, cohort, learners)
    return _activity(cohort, learners)


def unit_labels(module: Module) -> list[tuple[str, str]]:
    """(unit id, short label) in course order: L1, Quiz 1, Lab 1, …, Test."""
    units: list[tuple[str, str]] = []
    for lesson in module.lessons:
        n = lesson.number
        units += [(lesson.id, f"L{n}"), (lesson.quiz.id, f"Quiz {n}"), (lesson.lab.id, f"Lab {n}")]
    return [*units, ("test", "Test passed")]


def finished(state: LearnerState, unit: str) -> bool:
    progress = state.progress
    if unit == "test":
        return progress.passed
    return unit in progress.lessons_done or unit in progress.quizzes or progress.lab_done(unit)


def _funnel(module: Module, cohort: str, learners: Sequence[LearnerFacts]) -> Chart:
    units = unit_labels(module)
    states = [f.state for f in learners if f.state is not None]
    counts = [sum(finished(state, unit) for state in states) for unit, _ in units]
    labels = [label for _, label in units]
    figure, axes = _figure(f"{cohort}: how far learners got")
    positions = list(range(len(labels)))[::-1]
    axes.barh(positions, counts, color=BAR)
    axes.set_yticks(positions, labels)
    axes.set_xlabel(f"learners who finished it (of {len(learners)} enrolled)")
    for y, count in zip(positions, counts, strict=True):
        axes.annotate(
            str(count), (count, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=FONT
        )
    axes.set_xlim(0, max(1, len(learners)) * 1.12)
    steps = ", ".join(f"{label} {count}" for label, count in zip(labels, counts, strict=True))
    summary = (
        f"Progress funnel for {cohort}: {len(learners)} enrolled, {len(states)} started. "
        f"Finished each unit: {steps}."
    )
    return Chart("funnel", _png(figure), summary)


def _scores(module: Module, cohort: str, learners: Sequence[LearnerFacts]) -> Chart:
    total = len(module.test.questions)
    best = [
        attempt.score
        for f in learners
        if f.state is not None and (attempt := f.state.progress.best_test) is not None
    ]
    counts = Counter(best)
    figure, axes = _figure(f"{cohort}: best module test scores")
    axes.bar(range(total + 1), [counts.get(score, 0) for score in range(total + 1)], color=BAR)
    pass_score = module.test.pass_score
    axes.axvline(pass_score - 0.5, color=PASS_LINE, linewidth=3, label=f"pass: {pass_score}/{total}")
    axes.legend(loc="upper left", fontsize=FONT)
    axes.set_xlabel(f"best score (of {total})")
    axes.set_ylabel("learners")
    axes.set_xlim(-0.6, total + 0.6)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    passed = sum(score >= pass_score for score in best)
    if best:
        ordered = sorted(best)
        median = ordered[len(ordered) // 2]
        summary = (
            f"Module test scores for {cohort}: {len(best)} learners sat the test, {passed} passed "
            f"(pass mark {pass_score}/{total}); median best score {median}/{total}."
        )
    else:
        summary = f"Module test scores for {cohort}: nobody has sat the test yet."
    return Chart("scores", _png(figure), summary)


def _activity(cohort: str, learners: Sequence[LearnerFacts]) -> Chart:
    per_day: Counter[str] = Counter()
    for f in learners:
        per_day.update({_day(t) for t in f.event_times})
    days = sorted(per_day)
    figure, axes = _figure(f"{cohort}: active learners per day")
    if days:
        axes.bar(range(len(days)), [per_day[d] for d in days], color=BAR)
        step = max(1, len(days) // 7)
        axes.set_xticks(range(0, len(days), step), [d[5:] for d in days[::step]])
    axes.set_xlabel("day (UTC)")
    axes.set_ylabel("learners active")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    if days:
        busiest = max(days, key=lambda d: (per_day[d], d))
        summary = (
            f"Activity for {cohort}: learners were active on {len(days)} day{'s' if len(days) != 1 else ''} "
            f"from {days[0]} to "
            f"{days[-1]}; busiest {busiest} with {per_day[busiest]} learners; "
            f"{per_day[days[-1]]} on the last day."
        )
    else:
        summary = f"Activity for {cohort}: no activity recorded yet."
    return Chart("activity", _png(figure), summary)


def _day(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d")


def _figure(title: str) -> tuple[Figure, Axes]:
    figure = Figure(figsize=SIZE_IN, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_title(title, fontsize=FONT + 3, loc="left")
    axes.tick_params(labelsize=FONT)
    axes.xaxis.label.set_fontsize(FONT)
    axes.yaxis.label.set_fontsize(FONT)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure, axes


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
