"""Cohorts and facilitators, independent of any chat platform.

- `models`: a cohort, its roster entries, settings and audit entries (pydantic).
- `store`: `CohortStore`, cohorts, rosters and facilitators in Redis (the API later parts build on).
- `audit`: `AuditLog`, the capped per-cohort log of facilitator actions.
- `rights`: who may act (`Caller`, `TenantAdmins`, `Rights`).
- `commands` / `parser`: the `/cohort` subcommands as typed values, and the text parser.
- `roster`: learners' rows read in pipelined batches; at-risk rules.
- `export`: the two CSV files.
- `answers`: what a command returns (sections, buttons, files) for an adapter to render.
- `service`: `CohortService`, which checks rights and runs each subcommand.

Building on it (nudges, paced release, item analysis): a tenant's cohorts are
`CohortStore.all(tenant)`, a cohort's learners `CohortStore.roster(tenant, name)` (and a
learner's cohort `CohortStore.cohort_of(tenant, user)`); their rows, at-risk first, are
`CohortService.roster_lines(tenant, cohort)`; their records and whole event logs, read in
pipelined batches, `RedisLearnerStore.snapshots(actors, log_last=None)` (see
`export._first_answers` for reading answers out of them). Every change a facilitator makes
should be written with `AuditLog.write`, and one that touches a learner's record should be a
facilitator event (`bot.domain.facilitation`) applied with `Engine.facilitate`.
"""
