"""`tutorbot scheduler` apart from the bots: it runs the nudge sweep and sends the nudges due
through the platforms whose settings it has (here Slack's, against the fake Web API), once."""

from __future__ import annotations

import io
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot.scheduler.service import run_scheduler
from bot.scheduler.store import JobStore
from bot.settings import Settings
from bot.storage.keys import KeyBuilder
from tests.fakes.slack_api import FakeSlackApi
from tests.shifted_clock import ShiftedClock
from tests.slack.harness import SlackHarness
from tests.slack.test_slack_cohort import admins
from tests.slack.test_slack_nudge_preview import nudges_in_dm

DAY = 86400.0


async def test_once_apart_plans_and_sends_the_due_nudges_through_slack_once(
    make_slack: Any,
    slack_api: FakeSlackApi,
    slack_settings: Settings,
    redis: aioredis.Redis,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    clock = ShiftedClock()
    clock.shift(-4 * DAY)  # the learner started four days ago
    slack: SlackHarness = make_slack(clock=clock.now)
    admins(slack_api, "UADMIN")
    await slack.cohort("UADMIN", "create spring")
    await slack.cohort("UADMIN", "policy spring quiet-hours off")  # whatever the hour the test runs at
    await slack.cohort("UADMIN", "enrol spring <@UAPART> <@ULATER>")
    await slack.command("UAPART", "start")
    clock.shift(2 * DAY)
    await slack.command("ULATER", "start")  # two days ago: not due yet
    settings = slack_settings.model_copy(update={"redis_url": redis_url})
    out = io.StringIO()
    assert await run_scheduler(True, settings=settings, out=out) == 0
    assert len(nudges_in_dm(slack, "UAPART")) == 1 and nudges_in_dm(slack, "ULATER") == []
    assert out.getvalue().startswith("ran ")
    assert await run_scheduler(True, settings=settings, out=io.StringIO()) == 0  # cron, again
    assert len(nudges_in_dm(slack, "UAPART")) == 1
    [later] = await JobStore(redis, KeyBuilder("test")).waiting()
    assert later.kind == "nudge.slack" and later.data["user"] == "ULATER"  # waits for its day
