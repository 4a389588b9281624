"""The facilitator's cohort report, built from what the engine stored."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import pytest

from bot.reports import as_csv, cohort_report
from bot.storage.client import AsyncRedis
from tests.engine.driver import Learner
from tests.engine.test_journey import do_lessons_quizzes_labs, sit_test


@pytest.fixture
def redis(redis_any: AsyncRedis) -> AsyncRedis:
    """Reports read across learners, so across cluster nodes: both kinds of Redis."""
    return redis_any


async def test_report_has_a_row_per_learner_of_the_tenant_only(make_engine, module, store, redis):
    engine = make_engine()
    finisher = Learner(engine, user="U1", tenant="T1")
    await finisher.command("start")
    await do_lessons_quizzes_labs(finisher, module)
    await finisher.press("open", module.test.id)
    await sit_test(finisher, module, right=13)

    reader = Learner(engine, user="U2", tenant="T1")
    await reader.command("start")
    await reader.read_lesson()
    await reader.press("open", module.lessons[0].quiz.id)

    other_workspace = Learner(engine, user="U3", tenant="T2")
    await other_workspace.command("start")
    await redis.hset(store.keys.state(reader.actor.model_copy(update={"user": "U4"})), "data", b"junk")
    await redis.sadd(store.keys.learners("slack", "T1"), "U4")

    rows = {row.user: row for row in await cohort_report(store, module, "slack", "T1")}
    assert set(rows) == {"U1", "U2", "U4"}
    assert rows["U1"].status == "passed" and rows["U1"].test_best == "13/15" and rows["U1"].labs_done == 4
    assert rows["U1"].quizzes == {"L1": "3/3", "L2": "3/3", "L3": "3/3", "L4": "3/3"}
    assert rows["U2"].status == "in progress" and rows["U2"].current == "Lesson 1 quiz"
    assert rows["U2"].lessons_read == 1 and rows["U2"].quizzes["L1"] == ""
    assert rows["U1"].last_active.endswith("+00:00")
    assert rows["U4"].status == "unreadable record"

    table = list(csv.reader(io.StringIO(as_csv(sorted(rows.values(), key=lambda r: r.user)))))
    assert table[0][:5] == ["user", "status", "current", "lessons_read", "L1 quiz"]
    assert [r[0] for r in table[1:]] == ["U1", "U2", "U4"]


def test_report_command_prints_csv_and_refuses_a_bad_cohort(redis_target, monkeypatch, capsys):
    from bot.cli import main

    for name, value in redis_target.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert main(["report", "slack:T-EMPTY"]) == 0
    printed = capsys.readouterr()
    assert printed.out.splitlines()[0].startswith("user,status,current")
    assert "No learners in slack:T-EMPTY." in printed.err
    assert main(["report", "slack:T-EMPTY", "--format", "json"]) == 0
    printed = capsys.readouterr()
    assert json.loads(printed.out) == [] and "No learners in slack:T-EMPTY." in printed.err
    assert main(["report", "nowhere"]) == 2
    assert "PLATFORM:TENANT" in capsys.readouterr().out


async def test_report_says_attempts_used_up_even_when_the_test_was_opened_early(module, store):
    """Opening the test early grants no attempts, so the report agrees with what the learner is told."""
    from bot.domain.codec import encode
    from bot.domain.events import Actor
    from bot.domain.state import LearnerState, Progress

    actor = Actor(platform="slack", tenant="T9", user="U1")
    progress = Progress(test_unlocked=True, test_started=module.test.max_attempts)
    result = await store.commit(actor, None, encode(LearnerState(module_id=module.id, progress=progress)))
    assert result.ok
    [row] = await cohort_report(store, module, "slack", "T9")
    assert row.status == "attempts used up"


async def test_report_of_learners_on_every_node_reads_each_one_right(make_engine, module, store, redis):
    engine = make_engine()
    # More learners than one read pipeline holds, so the batches join up correctly.
    total = 520
    for n in range(total):
        learner = Learner(engine, user=f"U{n}", tenant="BIG")
        await learner.command("start")
        if n % 7 == 0:
            await learner.read_lesson()
    rows = {row.user: row for row in await cohort_report(store, module, "slack", "BIG")}
    assert len(rows) == total
    assert all(rows[f"U{n}"].lessons_read == (1 if n % 7 == 0 else 0) for n in range(total))
    assert all(row.status == "in progress" and row.last_active for row in rows.values())


async def test_report_json_is_one_document_with_a_row_per_learner(
    make_engine, redis_url, monkeypatch, capsys
):
    from bot.cli import main

    for user in ("U1", "U2"):
        learner = Learner(make_engine(), user=user, tenant="T-JSON")
        await learner.command("start")
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("KEY_PREFIX", "test")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert await asyncio.to_thread(main, ["report", "slack:T-JSON", "--format", "json"]) == 0
    printed = capsys.readouterr()
    rows = json.loads(printed.out)  # the whole output parses as one document
    assert [row["user"] for row in rows] == ["U1", "U2"]
    assert rows[0]["status"] == "in progress" and rows[0]["current"] == "Lesson 1"
    assert "No learners" not in printed.err
