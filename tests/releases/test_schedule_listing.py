"""`tutorbot cohort schedule NAME --tenant PLATFORM:TENANT` lists the cohort's lesson releases
still to come beside its nudges: when each DM goes (in the cohort's time zone), which lesson,
and whether the scheduler holds the job."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from bot.cli import main
from bot.scheduler.store import JobStore
from bot.storage.keys import KeyBuilder


def listing(capsys: pytest.CaptureFixture[str], *tenant: str) -> list[str]:
    capsys.readouterr()
    assert main(["cohort", "schedule", "later", *tenant]) == 0
    return capsys.readouterr().out.splitlines()


def test_the_schedule_lists_releases_to_come_in_the_cohorts_zone(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    tenant = ["--tenant", "slack:TLIST"]
    assert main(["cohort", "create", "later", *tenant]) == 0
    assert main(["cohort", "enrol", "later", "U0000001", *tenant]) == 0
    before = listing(capsys, *tenant)
    assert before[1].split() == ["when", "(UTC)", "learner", "what", "state"]
    assert not any("release" in line for line in before)  # no schedule: no release rows

    assert main(["cohort", "policy", "later", "timezone", "Pacific/Auckland", *tenant]) == 0
    assert main(["cohort", "policy", "later", "start-date", "2030-01-07", *tenant]) == 0
    assert main(["cohort", "policy", "later", "release", "every", "7d", *tenant]) == 0
    lines = listing(capsys, *tenant)
    assert lines[:2] == before[:2] and lines[2].split()[2:] == before[2].split()[2:]  # nudges as they were
    at = lines.index("")
    assert lines[at + 1].startswith("3 lesson release(s) to come")
    assert lines[at + 2].split() == ["when", "(Pacific/Auckland)", "what", "state"]
    rows = [line.split() for line in lines[at + 3 :]]
    assert [row[:2] for row in rows] == [
        ["2030-01-14", "09:00"],
        ["2030-01-21", "09:00"],
        ["2030-01-28", "09:00"],
    ]
    assert [row[2:6] for row in rows] == [["Lesson", str(n), "is", "open:"] for n in (2, 3, 4)]
    assert {row[-1] for row in rows} == {"scheduled"}

    async def lose_lesson_3() -> None:  # as a Redis restored from an older copy would
        client = aioredis.from_url(redis_url)
        try:
            jobs = JobStore(client, KeyBuilder())
            [job] = [
                j for j in await jobs.waiting() if j.data.get("tenant") == "TLIST" and j.data["lesson"] == "3"
            ]
            assert await jobs.cancel(job.id)
        finally:
            await client.aclose()

    asyncio.run(lose_lesson_3())
    assert main(["cohort", "open", "later", "L2", *tenant]) == 0
    states = [line.split()[-1] for line in listing(capsys, *tenant)[at + 3 :]]
    assert states == ["early", "planned", "scheduled"]  # `opened early`, lost, held
