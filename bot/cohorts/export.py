"""A cohort's two CSV files: one row per learner (the `tutorbot report` columns with display
names), and every first-attempt answer (learner, question, option chosen, correct, time).

First attempts are what the course counts. After a facilitator reset the learner's new
first attempt replaces the old one, as it does in their progress.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic_core import from_json

from bot.advisor.budget import BudgetGuard
from bot.cohorts.models import RosterEntry, Tenant
from bot.cohorts.roster import learner_actor
from bot.course.models import Module
from bot.reports import as_csv, learner_row
from bot.storage.redis_store import RedisLearnerStore

ANSWER_COLUMNS = ("learner", "question", "option_chosen", "correct", "time")
ANSWER_KINDS = {"answer", "test_answer"}


async def export_csvs(
    store: RedisLearnerStore,
    module: Module,
    tenant: Tenant,
    entries: Sequence[RosterEntry],
    budget: BudgetGuard | None,
    names: dict[str, str],
) -> tuple[str, str]:
    """(learners CSV, answers CSV). Learners are read in pipelined batches, whole logs included."""
    actors = [learner_actor(tenant, entry.user) for entry in entries]
    snapshots = await store.snapshots(actors, log_last=None)
    costs = await budget.costs(actors) if budget is not None else [0] * len(actors)
    rows = [
        learner_row(module, snapshot, cost / 1_000_000)
        for snapshot, cost in zip(snapshots, costs, strict=True)
    ]
    learners = as_csv(rows, names)
    options = _options(module)
    clock = _Clock()
    out = io.StringIO()
    out.write(",".join(ANSWER_COLUMNS) + "\r\n")  # what csv.writer writes; ids need no quoting
    for snapshot in snapshots:
        user = snapshot.actor.user
        for question_id, option_text, correct, at in _first_answers(snapshot.log, options):
            out.write(f"{user},{question_id},{option_text},{'yes' if correct else 'no'},{clock.iso(at)}\r\n")
    return learners, out.getvalue()


def _options(module: Module) -> dict[tuple[str, str], str]:
    """(question id, option id) → the option's text as a quoted CSV field."""
    questions = [q for lesson in module.lessons for q in lesson.quiz.questions] + list(module.test.questions)
    return {(q.id, o.id): _quoted(o.text) for q in questions for o in q.options}


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _first_answers(
    log: Sequence[bytes], options: dict[tuple[str, str], str]
) -> list[tuple[str, str, bool, float]]:
    """(question id, quoted option text, correct, time) per question answered at a first attempt."""
    answers: dict[str, tuple[str, str, bool, float]] = {}
    if not log:
        return []
    # One parse of the whole log (Rust, one call) costs far less than one per entry.
    for entry in from_json(b"[" + b",".join(log) + b"]"):
        if entry.get("attempt") != 1 or entry.get("kind") not in ANSWER_KINDS:
            continue
        question, option = str(entry.get("question")), str(entry.get("option"))
        text = options.get((question, option))
        if text is None:
            continue  # a question the course no longer has
        answers[question] = (question, text, bool(entry.get("correct")), float(entry.get("t", 0)))
    return list(answers.values())


class _Clock:
    """ISO 8601 UTC times, the date part remembered per day: an export formats tens of
    thousands of them, and `datetime.isoformat` is the slow part."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}

    def iso(self, stamp: float) -> str:
        seconds = int(stamp)
        day, rest = divmod(seconds, 86400)
        date = self._days.get(day)
        if date is None:
            date = self._days[day] = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%d")
        return f"{date}T{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}+00:00"
