"""The cohort report: one row per learner of a tenant (a Slack workspace, a Discord server).

It reads what the engine stored and changes nothing: each learner's state record (progress,
where they are), the time of their last event (the last entry of the event log) and, when
the AI advisor has been used, what their labs cost. Quiz scores are first attempts, as the
course counts them; the test score is the best attempt.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import UTC, datetime

from pydantic import BaseModel, ValidationError

from bot.advisor.budget import BudgetGuard
from bot.course.models import Module
from bot.domain.codec import UnreadableState, decode
from bot.domain.events import Actor, Platform
from bot.domain.state import LearnerState
from bot.flows.module_test import attempts_used_up
from bot.flows.registry import current_unit_id
from bot.flows.units import unit_title
from bot.storage.redis_store import RedisLearnerStore, Snapshot


class LearnerRow(BaseModel):
    user: str
    status: str
    """`not started`, `in progress`, `passed`, `attempts used up` or `unreadable record`."""
    current: str
    lessons_read: int
    quizzes: dict[str, str]
    """Lesson label ("L1") → first-attempt score ("2/3"), or "" when not taken."""
    labs_done: int
    test_best: str
    test_attempts: int
    last_active: str
    """UTC time of the learner's last recorded event, ISO 8601."""
    advisor_cost_usd: float


async def cohort_report(
    store: RedisLearnerStore,
    module: Module,
    platform: Platform,
    tenant: str,
    budget: BudgetGuard | None = None,
) -> list[LearnerRow]:
    """One row per learner of the tenant. Records and last activity are read in pipelines
    (per Redis node on a cluster, see `RedisLearnerStore.snapshots`), never a round trip per
    learner."""
    actors = [
        Actor(platform=platform, tenant=tenant, user=user) for user in await store.learners(platform, tenant)
    ]
    snapshots = await store.snapshots(actors)
    costs = await budget.costs(actors) if budget is not None else [0] * len(actors)
    return [
        learner_row(module, snapshot, cost / 1_000_000)
        for snapshot, cost in zip(snapshots, costs, strict=True)
    ]


def snapshot_state(snapshot: Snapshot) -> tuple[LearnerState | None, bool]:
    """(state, readable) of a snapshot: (None, True) for a learner with no record yet."""
    if snapshot.record is None:
        return None, snapshot.readable
    try:
        return decode(snapshot.record.data), True
    except UnreadableState:
        return None, False


def entry_time(entry: bytes) -> float | None:
    """The `t` of an event-log entry."""
    try:
        stamp = json.loads(entry).get("t")
    except (ValueError, AttributeError):
        return None
    return float(stamp) if isinstance(stamp, (int, float)) else None


def iso(stamp: float | None) -> str:
    return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds") if stamp is not None else ""


def learner_row(module: Module, snapshot: Snapshot, cost: float) -> LearnerRow:
    actor = snapshot.actor
    state, readable = snapshot_state(snapshot)
    last_active = iso(entry_time(snapshot.last_log)) if snapshot.last_log else ""
    labels = [f"L{lesson.number}" for lesson in module.lessons]
    if state is None or not state.started:
        return LearnerRow(
            user=actor.user,
            status="not started" if readable else "unreadable record",
            current="",
            lessons_read=0,
            quizzes=dict.fromkeys(labels, ""),
            labs_done=0,
            test_best="",
            test_attempts=0,
            last_active=last_active,
            advisor_cost_usd=cost,
        )
    progress = state.progress
    quizzes = {}
    for label, lesson in zip(labels, module.lessons, strict=True):
        result = progress.quizzes.get(lesson.quiz.id)
        quizzes[label] = f"{result.first}/{result.total}" if result else ""
    best = progress.best_test
    if progress.passed:
        status = "passed"
    elif attempts_used_up(state, module.test):
        status = "attempts used up"
    else:
        status = "in progress"
    unit_id = current_unit_id(state, module)
    unit = module.unit(unit_id) if unit_id else None
    return LearnerRow(
        user=actor.user,
        status=status,
        current=unit_title(module, unit) if unit else "menu",
        lessons_read=len(progress.lessons_done),
        quizzes=quizzes,
        labs_done=sum(progress.lab_done(lesson.lab.id) for lesson in module.lessons),
        test_best=f"{best.score}/{best.total}" if best else "",
        test_attempts=progress.test_started,
        last_active=last_active,
        advisor_cost_usd=cost,
    )


def as_csv(rows: list[LearnerRow], names: dict[str, str] | None = None) -> str:
    """The report as CSV. With `names` (user id → display name), a `display_name` column
    follows `user` (blank where no name is known)."""
    out = io.StringIO()
    quiz_columns = list(rows[0].quizzes) if rows else []
    writer = csv.writer(out)
    named = ["display_name"] if names is not None else []
    writer.writerow(
        [
            "user",
            *named,
            "status",
            "current",
            "lessons_read",
            *(f"{c} quiz" for c in quiz_columns),
            "labs_done",
            "test_best",
            "test_attempts",
            "last_active",
            "advisor_cost_usd",
        ]
    )
    for row in rows:
        writer.writerow(
            [
                row.user,
                *([names.get(row.user, "")] if names is not None else []),
                row.status,
                row.current,
                row.lessons_read,
                *(row.quizzes[c] for c in quiz_columns),
                row.labs_done,
                row.test_best,
                row.test_attempts,
                row.last_active,
                f"{row.advisor_cost_usd:.4f}",
            ]
        )
    return out.getvalue()


async def run_report(cohort: str, output: str) -> int:
    """`tutorbot report PLATFORM:TENANT`: print the cohort as CSV (or one JSON document)."""
    from bot.advisor.factory import budget_guard
    from bot.runtime import open_runtime
    from bot.settings import Settings

    platform, _, tenant = cohort.partition(":")
    try:
        checked = Actor.model_validate({"platform": platform, "tenant": tenant, "user": "check"})
    except ValidationError:
        print(
            "Name the cohort as PLATFORM:TENANT, for example slack:T0123ABCD or discord:123456789 "
            "(platforms: slack, discord, terminal, sim)."
        )
        return 2
    settings = Settings()
    async with open_runtime(settings) as runtime:
        budget = budget_guard(settings, runtime.redis, runtime.keys)
        rows = await cohort_report(runtime.store, runtime.module, checked.platform, checked.tenant, budget)
    rows.sort(key=lambda row: row.user)
    print(as_json(rows) if output == "json" else as_csv(rows), end="")
    if not rows:
        # On stderr, so the output stays a valid (empty) table or document.
        print(f"No learners in {platform}:{tenant}.", file=sys.stderr)
    return 0


def as_json(rows: list[LearnerRow]) -> str:
    """One JSON document: an array with one object per learner (`[]` for none)."""
    return json.dumps([row.model_dump(mode="json") for row in rows], ensure_ascii=False, indent=1) + "\n"
