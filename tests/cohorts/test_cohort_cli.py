"""`tutorbot cohort … --tenant PLATFORM:TENANT`: the operator's /cohort, same service."""

from __future__ import annotations

import csv

from bot.cli import main


def test_operator_runs_cohort_subcommands_from_the_shell(redis_url, monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    tenant = ["--tenant", "slack:TCLI"]
    assert main(["cohort", "create", "night", *tenant]) == 0
    assert "Cohort `night` created" in capsys.readouterr().out
    assert main(["cohort", "enrol", "night", "U0000001", "@U0000002", *tenant]) == 0
    out = capsys.readouterr().out
    assert "Enrolled 2 in `night`" in out and "2 message(s) to learners were not sent" in out
    assert main(["cohort", "progress", "night", *tenant]) == 0
    out = capsys.readouterr().out
    assert "2 enrolled · 0 started · 0 passed · 0 at risk" in out and "U0000001" in out

    assert main(["cohort", "reset", "night", "U0000001", "all", *tenant]) == 1
    assert "has not started yet" in capsys.readouterr().out

    assert main(["cohort", "export", "night", *tenant, "--out", str(tmp_path)]) == 0
    files = sorted(tmp_path.iterdir())
    assert [f.name.split("-")[1] for f in files] == ["answers", "learners"]
    rows = list(csv.DictReader(files[1].open()))
    assert [row["user"] for row in rows] == ["U0000001", "U0000002"]

    assert main(["cohort", "audit", *tenant]) == 0
    audit = capsys.readouterr().out
    assert (
        "operator · export" in audit
        and "operator · enrol · 2 learners" in audit
        and "operator · create" in audit
    )

    assert main(["cohort", "frobnicate", *tenant]) == 2
    assert "I don't know `frobnicate`" in capsys.readouterr().out
    assert main(["cohort", "list", "--tenant", "nowhere"]) == 2
    assert "PLATFORM:TENANT" in capsys.readouterr().out
    assert main(["cohort", "progress", "night", "--tenant", "slack:OTHER"]) == 1
    assert "There is no cohort called `night` here." in capsys.readouterr().out


def test_a_release_schedule_set_from_the_shell_is_planned_for_the_bots_processes(
    redis_url, monkeypatch, capsys
) -> None:
    import asyncio

    import redis.asyncio as aioredis

    from bot.releases.jobs import is_release
    from bot.scheduler.store import JobStore
    from bot.storage.keys import KeyBuilder

    monkeypatch.setenv("REDIS_URL", redis_url)
    tenant = ["--tenant", "slack:TCLI"]
    assert main(["cohort", "create", "later", *tenant]) == 0
    assert main(["cohort", "policy", "later", "start-date", "2030-01-07", *tenant]) == 0
    assert main(["cohort", "policy", "later", "release", "every", "7d", *tenant]) == 0
    assert "`release` is now every 7d (was off)" in capsys.readouterr().out

    async def waiting() -> list[str]:
        client = aioredis.from_url(redis_url)
        try:
            return [
                job.id
                for job in await JobStore(client, KeyBuilder()).waiting()
                if is_release(job) and job.data["tenant"] == "TCLI"
            ]
        finally:
            await client.aclose()

    assert (
        len(asyncio.run(waiting())) == 3
    )  # lessons 2, 3 and 4, announced by whichever bot process runs them
