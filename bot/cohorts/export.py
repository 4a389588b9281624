"""A cohort's two CSV files: one row per learner (the `tutorbot report` columns with display
names), and every first-attempt answer (learner, question, option chosen, correct, time).

First attempts are what the course counts. After a facilitator reset the learner's new
first attempt replaces the old one, as it does in their progress.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from bot.advisor.budget import BudgetGuard
from bot.cohorts.models import RosterEntry, Tenant
from bot.cohorts.roster import learner_actor
from bot.course.models import Module, Question
from bot.reports import as_csv, iso, learner_row
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
    questions = _questions(module)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ANSWER_COLUMNS)
    for snapshot in snapshots:
        for question_id, option_text, correct, at in _first_answers(snapshot.log, questions):
            writer.writerow(
                [snapshot.actor.user, question_id, option_text, "yes" if correct else "no", iso(at)]
            )
    return learners, out.getvalue()


def _questions(module: Module) -> dict[str, Question]:
    found = {q.id: q for lesson in module.lessons for q in lesson.quiz.questions}
    found.update({q.id: q for q in module.test.questions})
    return found


def _first_answers(
    log: Sequence[bytes], questions: dict[str, Question]
) -> list[tuple[str, str, bool, float]]:
    """(question id, option text, correct, time) per question answered at a first attempt."""
    answers: dict[str, tuple[str, str, bool, float]] = {}
    for raw in log:
        if b"answer" not in raw:  # most entries are not answers: skip them unparsed
            continue
        entry = json.loads(raw)
        if entry.get("kind") not in ANSWER_KINDS or entry.get("attempt") != 1:
            continue
        question = questions.get(str(entry.get("question")))
        option = question.option(str(entry.get("option"))) if question else None
        if question is None:
            continue
        text = option.text if option else str(entry.get("option"))
        answers[question.id] = (question.id, text, bool(entry.get("correct")), float(entry.get("t", 0)))
    return list(answers.values())
