"""Fixtures for Slack tests: the fake Web API, and the real Bolt app on the suite's Redis.

Requests are built as Slack sends them (form bodies for commands and clicks, JSON for events),
signed with the signing secret, and dispatched into `app.async_dispatch(AsyncBoltRequest(...))`;
the app talks to the fake Web API through the real slack-sdk client.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from bot.adapters.slack.app import SlackAdapter, build_slack_adapter
from bot.adapters.slack.budget import LIMITS, Limit, SlackBudget
from bot.advisor.base import Advisor
from bot.advisor.offline import OfflineAdvisor
from bot.course.loader import load_module
from bot.course.models import Module
from bot.engine.engine import Engine
from bot.settings import Settings
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore
from bot.storage.token_cipher import new_key
from tests.fakes.slack_api import FakeSlackApi
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET, SlackHarness

COURSE = Path(__file__).resolve().parents[2] / "course_data" / "module-02-technical-roles"


ROOMY = Limit(calls=1000, per_s=1.0, burst=100)


def roomy_budget(redis: aioredis.Redis) -> SlackBudget:
    """Slack's limits are per minute; tests click far faster than people. The budget is in the
    path of every call, with room enough not to slow tests down (`test_slack_budget.py` and the
    load tests use the real figures)."""
    return SlackBudget(redis, KeyBuilder("test"), limits={m: ROOMY for m in LIMITS}, post_per_channel=ROOMY)


@pytest.fixture(scope="session")
def module() -> Module:
    return load_module(COURSE)


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi(token=BOT_TOKEN, team_id="T1") as fake:
        yield fake


@pytest.fixture
def slack_settings(slack_api: FakeSlackApi) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.api_url,
        key_prefix="test",
    )


@pytest.fixture
def store(redis: aioredis.Redis) -> RedisLearnerStore:
    return RedisLearnerStore(redis, KeyBuilder("test"))


@pytest.fixture
def make_slack(
    slack_settings: Settings,
    slack_api: FakeSlackApi,
    module: Module,
    store: RedisLearnerStore,
    redis: aioredis.Redis,
) -> Callable[..., SlackHarness]:
    """Builds a harness: an engine (offline advisor unless given) and the Slack app around it.

    Several harnesses built in one test share Redis, like several processes behind a load
    balancer."""

    def make(
        advisor: Advisor | None = None,
        *,
        edit_interval_s: float = 0.05,
        budget: SlackBudget | None = None,
        certificate_secret: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> SlackHarness:
        engine = Engine(module, store, advisor or OfflineAdvisor(), clock=clock)
        settings = slack_settings
        if certificate_secret is not None:
            settings = settings.model_copy(update={"certificate_secret": SecretStr(certificate_secret)})
        adapter: SlackAdapter = build_slack_adapter(
            settings,
            engine,
            redis,
            edit_interval_s=edit_interval_s,
            budget=budget or roomy_budget(redis),
        )
        return SlackHarness(adapter, slack_api, module)

    return make


@pytest.fixture
def slack(make_slack: Callable[..., SlackHarness]) -> SlackHarness:
    return make_slack()


CLIENT_ID = "1111.2222"
CLIENT_SECRET = "fake-client-secret-SECRET"


@pytest.fixture
def token_key() -> str:
    return new_key()


@pytest.fixture
async def oauth_api() -> AsyncIterator[FakeSlackApi]:
    """The fake Web API for OAuth mode: no bot token of its own until a workspace installs."""
    async with FakeSlackApi(token="xoxb-unused", client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as fake:
        yield fake


@pytest.fixture
def oauth_settings(oauth_api: FakeSlackApi, token_key: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=oauth_api.api_url,
        token_encryption_key=token_key,
        key_prefix="test",
    )


@pytest.fixture
def make_oauth_slack(
    oauth_settings: Settings,
    oauth_api: FakeSlackApi,
    module: Module,
    store: RedisLearnerStore,
    redis: aioredis.Redis,
) -> Callable[..., SlackHarness]:
    """A harness on an app installed into many workspaces (OAuth mode, Redis installation store)."""

    def make(settings: Settings | None = None) -> SlackHarness:
        engine = Engine(module, store, OfflineAdvisor())
        adapter = build_slack_adapter(
            settings or oauth_settings, engine, redis, edit_interval_s=0.05, budget=roomy_budget(redis)
        )
        return SlackHarness(adapter, oauth_api, module)

    return make
