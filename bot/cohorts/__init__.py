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
"""
