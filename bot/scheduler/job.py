"""A timed job as stored: what to do (`kind` + `data`), when, and its idempotency key (`id`)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

_JOB_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,200}$")


class Job(BaseModel):
    """`id` names the one thing this job does (e.g. `nudge:slack:T1:U1:1800000000`): scheduling
    the same id twice keeps one job, and a finished id is never run again."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: str = Field(pattern=r"^[a-z][a-z0-9_.-]{0,31}$")
    run_at: float
    data: dict[str, str] = Field(default_factory=dict)
    attempt: int = 0

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not _JOB_ID.fullmatch(value):
            raise ValueError(f"invalid job id: {value!r}")
        return value


class Claimed(BaseModel):
    """A job this process holds under a lease; `token` proves it when finishing or renewing."""

    model_config = ConfigDict(frozen=True)

    job: Job
    shard: int
    token: str
