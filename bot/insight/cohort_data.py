"""What insight reads of a cohort: every learner's state and whole event log, in pipelined
batches (per Redis node on a cluster; see `RedisLearnerStore.snapshots`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.cohorts.models import RosterEntry, Tenant
from bot.cohorts.roster import learner_actor
from bot.insight.charts import LearnerFacts
from bot.insight.items import FirstAnswers, first_answers
from bot.reports import entry_time, snapshot_state
from bot.storage.redis_store import RedisLearnerStore


@dataclass(frozen=True)
class CohortData:
    answers: tuple[FirstAnswers, ...]
    """Each learner's first-attempt answers (no user ids: nothing here needs them)."""
    facts: tuple[LearnerFacts, ...]


async def read_cohort(store: RedisLearnerStore, tenant: Tenant, entries: Sequence[RosterEntry]) -> CohortData:
    snapshots = await store.snapshots([learner_actor(tenant, entry.user) for entry in entries], log_last=None)
    answers: list[FirstAnswers] = []
    facts: list[LearnerFacts] = []
    for snapshot in snapshots:
        state, _ = snapshot_state(snapshot)
        answers.append(first_answers(snapshot.log))
        times = tuple(t for entry in snapshot.log if (t := entry_time(entry)) is not None)
        facts.append(LearnerFacts(state=state, event_times=times))
    return CohortData(answers=tuple(answers), facts=tuple(facts))
