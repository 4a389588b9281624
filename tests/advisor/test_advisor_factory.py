from __future__ import annotations

from collections.abc import Callable

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.advisor.base import Advisor, AdvisorReplyText, AdvisorRequest, AdvisorUnavailable, OnDelta, Usage
from bot.advisor.budget import BudgetGuard
from bot.advisor.factory import (
    BUDGET_NOTE,
    NO_KEY_NOTE,
    UNAVAILABLE_NOTE,
    GuardedAdvisor,
    advisor_mode_note,
    build_advisor,
)
from bot.advisor.offline import OfflineAdvisor
from bot.domain.events import Actor
from bot.settings import Settings
from bot.storage.keys import KeyBuilder
from tests.fakes.anthropic_server import FakeAnthropic, Reply, overloaded, spend_limit

MakeRequest = Callable[..., AdvisorRequest]


def settings_for(server: FakeAnthropic | None, **extra: object) -> Settings:
    if server is None:
        return Settings(anthropic_api_key=None, **extra)  # type: ignore[arg-type]
    return Settings(
        anthropic_api_key="sk-test-factory",  # type: ignore[arg-type]
        anthropic_base_url=server.url,
        anthropic_max_retries=0,
        **extra,  # type: ignore[arg-type]
    )


def test_no_key_means_offline_and_a_note() -> None:
    settings = settings_for(None)
    assert advisor_mode_note(settings) == NO_KEY_NOTE
    assert isinstance(build_advisor(settings, aioredis.Redis()), OfflineAdvisor)


def test_a_blank_key_counts_as_no_key() -> None:
    settings = Settings(anthropic_api_key="   ")  # type: ignore[arg-type]
    assert advisor_mode_note(settings) == NO_KEY_NOTE
    assert isinstance(build_advisor(settings, aioredis.Redis()), OfflineAdvisor)


async def test_a_key_means_the_guarded_ai_advisor(
    anthropic_server: FakeAnthropic, redis: aioredis.Redis, make_request: MakeRequest, actor: Actor
) -> None:
    settings = settings_for(anthropic_server)
    assert advisor_mode_note(settings) is None
    advisor = build_advisor(settings, redis)
    assert isinstance(advisor, GuardedAdvisor)

    anthropic_server.script(Reply("An AI answer.", input_tokens=30, output_tokens=4))
    reply = await advisor.reply(make_request("What tools matter most on day one?"))
    assert reply.text == "An AI answer." and reply.offline is False

    usage = await advisor.guard.usage(actor)
    lab = usage["labs"]["lab-ml-engineer"]
    assert (lab["input"], lab["output"], lab["requests"]) == (30, 4, 1)
    assert lab["cache_write"] > 0  # the lesson prefix was written to the cache
    assert usage["learner_tokens_today"] == reply.usage.total
    await advisor.aclose()


async def test_budget_exhaustion_falls_back_to_offline_with_a_note(
    anthropic_server: FakeAnthropic, redis: aioredis.Redis, make_request: MakeRequest, actor: Actor
) -> None:
    advisor = build_advisor(settings_for(anthropic_server, learner_daily_tokens=100), redis)
    assert isinstance(advisor, GuardedAdvisor)
    await advisor.guard.record(actor, "lab-ml-engineer", Usage(input_tokens=100))

    seen: list[str] = []

    async def on_delta(text: str) -> None:
        seen.append(text)

    reply = await advisor.reply(make_request("What tools matter most on day one?"), on_delta)
    assert reply.offline is True
    assert reply.text.startswith(BUDGET_NOTE + "\n\n")
    assert "offline advisor" in reply.text
    assert seen and all(text.startswith(BUDGET_NOTE) for text in seen) and seen[-1] == reply.text
    assert anthropic_server.requests == []  # the API was not called
    assert (await advisor.guard.usage(actor))["learner_tokens_today"] == 100  # nothing more counted
    await advisor.aclose()


async def test_tenant_budget_exhaustion_also_falls_back(
    anthropic_server: FakeAnthropic, redis: aioredis.Redis, make_request: MakeRequest
) -> None:
    advisor = build_advisor(settings_for(anthropic_server, tenant_daily_tokens=50), redis)
    assert isinstance(advisor, GuardedAdvisor)
    await advisor.guard.record(
        Actor(platform="slack", tenant="T100", user="someone-else"), "lab-ml-engineer", Usage(input_tokens=60)
    )
    reply = await advisor.reply(make_request("What tools matter most on day one?"))
    assert reply.text.startswith(BUDGET_NOTE)
    await advisor.aclose()


async def test_a_passing_failure_is_raised_for_the_learner_to_retry(
    anthropic_server: FakeAnthropic, redis: aioredis.Redis, make_request: MakeRequest
) -> None:
    anthropic_server.default = overloaded()
    advisor = build_advisor(settings_for(anthropic_server), redis)
    with pytest.raises(AdvisorUnavailable) as caught:
        await advisor.reply(make_request("What tools matter most on day one?"))
    assert caught.value.retryable is True
    await advisor.aclose()  # type: ignore[attr-defined]


async def test_a_spend_limit_falls_back_to_offline(
    anthropic_server: FakeAnthropic, redis: aioredis.Redis, make_request: MakeRequest
) -> None:
    anthropic_server.script(spend_limit())
    advisor = build_advisor(settings_for(anthropic_server), redis)
    reply = await advisor.reply(make_request("What tools matter most on day one?"))
    assert reply.offline is True and reply.text.startswith(UNAVAILABLE_NOTE)
    assert len(anthropic_server.requests) == 1
    await advisor.aclose()  # type: ignore[attr-defined]


class _Answers(Advisor):
    async def reply(self, request: AdvisorRequest, on_delta: OnDelta | None = None) -> AdvisorReplyText:
        return AdvisorReplyText(text="fine", offline=False, usage=Usage(input_tokens=5, output_tokens=5))


async def test_usage_that_cannot_be_recorded_does_not_lose_the_answer(
    make_request: MakeRequest, redis: aioredis.Redis
) -> None:
    class BrokenRecording(BudgetGuard):
        async def record(self, actor: Actor, lab_id: str, usage: Usage) -> None:
            raise RedisConnectionError("connection lost")

    advisor = GuardedAdvisor(_Answers(), BrokenRecording(redis, KeyBuilder("tutorbot")), OfflineAdvisor())
    assert (await advisor.reply(make_request("What tools matter most on day one?"))).text == "fine"
