"""A cohort's learners as rows: read in pipelined batches, flagged when at risk.

A learner is at risk when they have been inactive for `INACTIVE_DAYS` (counting from their
enrolment if they never started), when they are stuck on one unit (active in the last
`STUCK_DAYS` but finishing nothing in that time), or when they used every test attempt
without passing. The rows themselves are `bot.reports.LearnerRow`, the `tutorbot report` rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.advisor.budget import BudgetGuard
from bot.cohorts.models import RosterEntry, Tenant
from bot.course.models import Module
from bot.domain.events import Actor
from bot.domain.state import LearnerState
from bot.reports import LearnerRow, entry_time, learner_row, snapshot_state
from bot.storage.redis_store import RedisLearnerStore, Snapshot

DAY = 24 * 3600
INACTIVE_DAYS = 7
STUCK_DAYS = 4
LOG_TAIL = 16
"""Event-log entries read per learner for the roster: enough to find the last finished unit
in most cases; when none of them is one, the oldest of them bounds it."""
DONE_KINDS = (
    b'"kind":"lesson_done"',
    b'"kind":"quiz_done"',
    b'"kind":"lab_done"',
    b'"kind":"test_done"',
    b'"kind":"enrolled"',
)
"""Event-log entries that finish a unit, as the engine writes them (compact JSON)."""


@dataclass(frozen=True)
class RosterLine:
    entry: RosterEntry
    row: LearnerRow
    started: bool
    last_active: float | None
    risks: tuple[str, ...]
    state: LearnerState | None = None
    """The learner's record as read (None when they have none or it is unreadable)."""

    @property
    def passed(self) -> bool:
        return self.row.status == "passed"


def learner_actor(tenant: Tenant, user: str) -> Actor:
    """The learner `user` of `tenant`. Both were validated on the way in (a roster only holds
    user ids that are valid `IdPart`s), and rosters build a thousand of these at a time."""
    return Actor.model_construct(platform=tenant.platform, tenant=tenant.tenant, user=user)


async def read_roster(
    store: RedisLearnerStore,
    module: Module,
    tenant: Tenant,
    entries: Sequence[RosterEntry],
    budget: BudgetGuard | None,
    now: float,
) -> list[RosterLine]:
    """Every learner's row and risks: one pipelined call per batch of learners."""
    actors = [learner_actor(tenant, entry.user) for entry in entries]
    snapshots = await store.snapshots(actors, log_last=LOG_TAIL)
    costs = await budget.costs(actors) if budget is not None else [0] * len(actors)
    return [
        _line(module, entry, snapshot, cost / 1_000_000, now)
        for entry, snapshot, cost in zip(entries, snapshots, costs, strict=True)
    ]


def _line(module: Module, entry: RosterEntry, snapshot: Snapshot, cost: float, now: float) -> RosterLine:
    row = learner_row(module, snapshot, cost)
    state, _ = snapshot_state(snapshot)
    last = entry_time(snapshot.log[-1]) if snapshot.log else None
    risks: list[str] = []
    idle_since = last if last is not None else entry.enrolled_at
    idle_days = int((now - idle_since) // DAY)
    if row.status != "passed" and idle_days >= INACTIVE_DAYS:
        risks.append(f"inactive {idle_days} days" if last is not None else f"not started in {idle_days} days")
    elif (
        state is not None
        and row.status == "in progress"
        and last is not None
        and now - last < STUCK_DAYS * DAY
    ):
        finished = _last_finished(snapshot.log, state.started_at)
        if finished is not None and now - finished >= STUCK_DAYS * DAY:
            risks.append(f"stuck on {row.current} for {int((now - finished) // DAY)} days")
    if row.status == "attempts used up":
        risks.append("test attempts used up")
    if row.status == "unreadable record":
        risks.append("record unreadable")
    started = state is not None and state.started
    return RosterLine(
        entry=entry, row=row, started=started, last_active=last, risks=tuple(risks), state=state
    )


def _last_finished(log: Sequence[bytes], started_at: float) -> float | None:
    """When the learner last finished a unit, as far as the log tail tells."""
    for raw in reversed(log):
        if any(kind in raw for kind in DONE_KINDS):  # only these few entries are parsed
            return entry_time(raw)
    if len(log) >= LOG_TAIL:
        return entry_time(log[0])  # the finish is older still
    return started_at or None


def ordered(lines: list[RosterLine]) -> list[RosterLine]:
    """At-risk learners first (the longest idle first), then everyone else by name."""
    return sorted(
        lines,
        key=lambda line: (
            not line.risks,
            line.last_active or 0.0 if line.risks else 0.0,
            (line.entry.name or line.entry.user).lower(),
        ),
    )


def summary(lines: list[RosterLine]) -> str:
    started = sum(line.started for line in lines)
    passed = sum(line.passed for line in lines)
    risky = sum(bool(line.risks) for line in lines)
    return f"{len(lines)} enrolled · {started} started · {passed} passed · {risky} at risk"
