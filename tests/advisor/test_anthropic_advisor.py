"""The AI advisor through the real SDK against the local fake Messages API."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.advisor.anthropic_advisor import AnthropicAdvisor
from bot.advisor.base import AdvisorRequest, AdvisorUnavailable
from bot.course.models import Lesson
from bot.domain.events import Actor
from bot.settings import Settings
from tests.advisor.lessons import quiz_strings
from tests.fakes.anthropic_server import (
    CutMidStream,
    ErrorReply,
    FakeAnthropic,
    Hang,
    MidStreamError,
    Reply,
    StallMidStream,
    overloaded,
    rate_limited,
    server_error,
    spend_limit,
)

MakeRequest = Callable[..., AdvisorRequest]


@pytest.fixture
async def make_advisor(
    anthropic_server: FakeAnthropic, api_key: str
) -> AsyncIterator[Callable[..., AnthropicAdvisor]]:
    """An advisor on the fake server with tiny backoff, so retry tests take milliseconds."""
    made: list[AnthropicAdvisor] = []

    def make(**overrides: Any) -> AnthropicAdvisor:
        options: dict[str, Any] = {
            "api_key": api_key,
            "base_url": anthropic_server.url,
            "timeout": 2.0,
            "max_retries": 2,
            "max_total_wait": 2.0,
            "retry_after_cap": 1.0,
            "backoff_base": 0.01,
            "backoff_max": 0.05,
        }
        options.update(overrides)
        made.append(AnthropicAdvisor(**options))
        return made[-1]

    yield make
    for advisor in made:
        await advisor.aclose()


class Deltas:
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def __call__(self, text: str) -> None:
        self.seen.append(text)


async def test_streams_a_reply_with_deltas_in_order(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic
) -> None:
    anthropic_server.script(Reply(chunks=("Start by ", "asking about ", "monitoring. ", "What else?")))
    deltas = Deltas()
    reply = await make_advisor().reply(make_request("What tools matter most on day one?"), deltas)

    assert deltas.seen == [
        "Start by ",
        "Start by asking about ",
        "Start by asking about monitoring. ",
        "Start by asking about monitoring. What else?",
    ]
    assert reply.text == "Start by asking about monitoring. What else?"
    assert reply.offline is False
    body = anthropic_server.requests[0].body
    assert body["stream"] is True
    assert body["model"] == "claude-haiku-5-5"
    assert body["max_tokens"] == 500


async def test_usage_includes_cache_reads_and_writes(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic
) -> None:
    advisor = make_advisor()
    anthropic_server.script(
        Reply("First answer here.", input_tokens=40, output_tokens=7),
        Reply("Second.", input_tokens=55, output_tokens=3),
    )
    first = await advisor.reply(make_request("What tools matter most on day one?"))
    second = await advisor.reply(
        make_request(
            "How is drift detected in practice?", by=Actor(platform="slack", tenant="T100", user="U2")
        )
    )

    assert (first.usage.input_tokens, first.usage.output_tokens) == (40, 7)
    assert first.usage.cache_write_tokens > 512 and first.usage.cache_read_tokens == 0
    assert (second.usage.input_tokens, second.usage.output_tokens) == (55, 3)
    assert (
        second.usage.cache_read_tokens == first.usage.cache_write_tokens
        and second.usage.cache_write_tokens == 0
    )


async def test_thinking_blocks_never_reach_the_learner(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic
) -> None:
    anthropic_server.script(
        Reply("Here is the visible answer.", thinking="SECRET-REASONING about the learner")
    )
    deltas = Deltas()
    reply = await make_advisor().reply(make_request("What tools matter most on day one?"), deltas)
    assert reply.text == "Here is the visible answer."
    assert not any("SECRET-REASONING" in text for text in deltas.seen)


async def test_429_then_success(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic
) -> None:
    anthropic_server.script(rate_limited(retry_after="0.05"), Reply("Recovered answer."))
    started = time.monotonic()
    reply = await make_advisor().reply(make_request("What tools matter most on day one?"))
    assert reply.text == "Recovered answer."
    assert len(anthropic_server.requests) == 2
    assert time.monotonic() - started >= 0.05  # retry-after honoured


async def test_retry_after_ms_is_honoured(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic
) -> None:
    anthropic_server.script(
        ErrorReply(429, "rate_limit_error", "Rate limited", retry_after_ms="60"), Reply("ok then")
    )
    started = time.monotonic()
    assert (await make_advisor().reply(make_request("What tools matter most on day one?"))).text == "ok then"
    assert time.monotonic() - started >= 0.06


async def test_a_long_retry_after_ends_the_turn_at_once(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic
) -> None:
    anthropic_server.script(rate_limited(retry_after=120), Reply("never reached"))
    started = time.monotonic()
    with pytest.raises(AdvisorUnavailable) as caught:
        await make_advisor().reply(make_request("What tools matter most on day one?"))
    assert caught.value.retryable is True
    assert len(anthropic_server.requests) == 1
    assert time.monotonic() - started < 1.0


async def test_529_until_retries_run_out(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic
) -> None:
    anthropic_server.default = overloaded()
    started = time.monotonic()
    with pytest.raises(AdvisorUnavailable) as caught:
        await make_advisor(max_retries=2).reply(make_request("What tools matter most on day one?"))
    elapsed = time.monotonic() - started
    assert caught.value.retryable is True
    assert "529" in str(caught.value) and "3 attempt" in str(caught.value)
    assert len(anthropic_server.requests) == 3
    assert elapsed < 1.0


async def test_total_wait_is_bounded_even_with_many_retries(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic
) -> None:
    anthropic_server.default = overloaded(retry_after="0.1")
    slept: list[float] = []

    def clock() -> float:
        """The turn's time, stepped by the test: each request takes 0.1 s, each sleep its own."""
        return 0.1 * len(anthropic_server.requests) + sum(slept)

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    advisor = make_advisor(max_retries=50, max_total_wait=0.75, clock=clock, sleep=sleep)
    with pytest.raises(AdvisorUnavailable):
        await advisor.reply(make_request("What tools matter most on day one?"))
    # Attempts end at 0.1, 0.3, 0.5 and 0.7 s: one more wait of 0.1 s would end past 0.75 s.
    assert len(anthropic_server.requests) == 4
    assert slept == [0.1, 0.1, 0.1]  # as `retry-after` asked
    assert clock() <= 0.75


async def test_5xx_is_retried(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic
) -> None:
    anthropic_server.script(server_error(500), server_error(503), Reply("third time lucky"))
    assert (
        await make_advisor().reply(make_request("What tools matter most on day one?"))
    ).text == "third time lucky"
    assert len(anthropic_server.requests) == 3


async def test_sdk_does_not_retry_by_itself(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic
) -> None:
    anthropic_server.default = overloaded()
    with pytest.raises(AdvisorUnavailable):
        await make_advisor(max_retries=0).reply(make_request("What tools matter most on day one?"))
    assert len(anthropic_server.requests) == 1
    assert anthropic_server.requests[0].headers.get("x-stainless-retry-count") == "0"


async def test_timeout_then_unavailable(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic
) -> None:
    anthropic_server.default = Hang(seconds=5)
    started = time.monotonic()
    with pytest.raises(AdvisorUnavailable) as caught:
        await make_advisor(timeout=0.2, max_retries=1).reply(
            make_request("What tools matter most on day one?")
        )
    assert "timed out" in str(caught.value)
    assert caught.value.retryable is True
    assert len(anthropic_server.requests) == 2
    assert time.monotonic() - started < 1.5


async def test_a_stream_that_stalls_is_retried(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic
) -> None:
    anthropic_server.script(StallMidStream(text_before="Half an", seconds=5), Reply("A whole answer."))
    deltas = Deltas()
    reply = await make_advisor(timeout=0.2).reply(make_request("What tools matter most on day one?"), deltas)
    assert reply.text == "A whole answer."
    assert deltas.seen[0] == "Half an"  # the first attempt's text, then the retry's
    assert deltas.seen[-1] == "A whole answer."


async def test_mid_stream_error_event_is_retried(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic
) -> None:
    anthropic_server.script(MidStreamError(text_before="Partial"), Reply("Complete answer."))
    reply = await make_advisor().reply(make_request("What tools matter most on day one?"))
    assert reply.text == "Complete answer."
    assert len(anthropic_server.requests) == 2


async def test_mid_stream_errors_until_retries_run_out(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic
) -> None:
    anthropic_server.default = MidStreamError()
    with pytest.raises(AdvisorUnavailable) as caught:
        await make_advisor(max_retries=1).reply(make_request("What tools matter most on day one?"))
    assert "overloaded_error" in str(caught.value)
    assert len(anthropic_server.requests) == 2


async def test_a_stream_cut_short_without_message_stop_is_retried(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic
) -> None:
    anthropic_server.script(CutMidStream(text_before="The first half"), Reply("The whole answer."))
    reply = await make_advisor().reply(make_request("What tools matter most on day one?"))
    assert reply.text == "The whole answer."
    assert len(anthropic_server.requests) == 2


async def test_streams_always_cut_short_end_in_try_again(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic
) -> None:
    anthropic_server.default = CutMidStream()
    with pytest.raises(AdvisorUnavailable) as caught:
        await make_advisor(max_retries=1).reply(make_request("What tools matter most on day one?"))
    assert caught.value.retryable is True  # the learner is offered "Try again"
    assert "ended before the reply was complete" in str(caught.value)


async def test_spend_limit_is_not_retried(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic
) -> None:
    anthropic_server.script(spend_limit(), Reply("never"))
    with pytest.raises(AdvisorUnavailable) as caught:
        await make_advisor().reply(make_request("What tools matter most on day one?"))
    assert caught.value.retryable is False
    assert "spend limit" in str(caught.value)
    assert len(anthropic_server.requests) == 1


async def test_spend_limit_by_message_alone_is_not_retried(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic
) -> None:
    message = "This request would exceed your account's monthly spend limit. Please try again later."
    anthropic_server.script(ErrorReply(429, "rate_limit_error", message, retry_after="0"), Reply("never"))
    with pytest.raises(AdvisorUnavailable) as caught:
        await make_advisor().reply(make_request("What tools matter most on day one?"))
    assert caught.value.retryable is False
    assert len(anthropic_server.requests) == 1


async def test_a_rejected_request_is_not_retried(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic
) -> None:
    anthropic_server.script(ErrorReply(400, "invalid_request_error", "messages: roles must alternate"))
    with pytest.raises(AdvisorUnavailable) as caught:
        await make_advisor().reply(make_request("What tools matter most on day one?"))
    assert caught.value.retryable is False
    assert len(anthropic_server.requests) == 1


async def test_the_api_key_never_appears_in_errors_or_logs(
    make_advisor,
    make_request: MakeRequest,
    anthropic_server: FakeAnthropic,
    api_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    anthropic_server.api_key = "sk-the-right-key"
    with pytest.raises(AdvisorUnavailable) as caught:
        await make_advisor().reply(make_request("What tools matter most on day one?"))
    assert anthropic_server.requests[0].api_key == api_key  # sent, as Bearer or x-api-key
    assert api_key not in str(caught.value) and api_key not in repr(caught.value)
    assert api_key not in caplog.text
    assert "401" in str(caught.value)
    assert api_key not in repr(make_advisor())


async def test_refusal_becomes_a_polite_in_persona_reply(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic, lesson: Lesson
) -> None:
    anthropic_server.script(Reply("I can't", stop_reason="refusal"))
    deltas = Deltas()
    reply = await make_advisor().reply(make_request("Something off-limits, please answer it"), deltas)
    assert lesson.lab.advisor in reply.text and reply.text.endswith("?")
    assert deltas.seen[-1] == reply.text


async def test_max_tokens_keeps_the_text(
    make_advisor, make_request: MakeRequest, anthropic_server: FakeAnthropic
) -> None:
    anthropic_server.script(Reply("The three most important tools are", stop_reason="max_tokens"))
    reply = await make_advisor().reply(make_request("What tools matter most on day one?"))
    assert reply.text == "The three most important tools are…"


async def test_requests_carry_the_cached_prefix_learner_tags_and_no_quiz(
    make_advisor,
    make_request: MakeRequest,
    anthropic_server: FakeAnthropic,
    lesson: Lesson,
    other_lesson: Lesson,
) -> None:
    advisor = make_advisor()
    alice = Actor(platform="slack", tenant="T100", user="U1")
    bob = Actor(platform="discord", tenant="G7", user="U9")
    await advisor.reply(make_request("What tools matter most on day one?", by=alice))
    await advisor.reply(
        make_request(
            "How much time goes to research?",
            by=bob,
            history=[("learner", "Hi, what is drift?"), ("advisor", "Drift is…")],
        )
    )
    await advisor.reply(make_request("What tools matter most on day one?", by=alice, on=other_lesson))
    first, second, third = anthropic_server.requests

    prefix = [json.dumps(r.cached_prefix(), ensure_ascii=False) for r in (first, second, third)]
    assert prefix[0] and prefix[0] == prefix[1]
    assert prefix[0] != prefix[2]

    # The raw bytes of the prefix are identical too, not just its parsed form.
    def raw_prefix(raw: bytes) -> bytes:
        return raw[raw.index(b'"system"') :].split(b'"cache_control"')[0]

    assert raw_prefix(first.raw) == raw_prefix(second.raw)

    assert first.body["messages"][-1] == {
        "role": "user",
        "content": "<learner_message>\nWhat tools matter most on day one?\n</learner_message>",
    }
    assert "How much time goes to research?" not in json.dumps(second.body["system"])

    for recorded, chosen in ((first, lesson), (second, lesson), (third, other_lesson)):
        assert not [s for s in quiz_strings(chosen) if s in recorded.text()]


async def test_from_settings_uses_the_settings(
    anthropic_server: FakeAnthropic, make_request: MakeRequest
) -> None:
    settings = Settings(
        anthropic_api_key="sk-from-settings",  # type: ignore[arg-type]
        anthropic_base_url=anthropic_server.url,
        anthropic_model="claude-sonnet-5-5",
        anthropic_max_tokens=321,
    )
    advisor = AnthropicAdvisor.from_settings(settings, backoff_base=0.01)
    await advisor.reply(make_request("What tools matter most on day one?"))
    recorded = anthropic_server.requests[0]
    assert recorded.api_key == "sk-from-settings"
    assert recorded.body["model"] == "claude-sonnet-5-5" and recorded.body["max_tokens"] == 321
    await advisor.aclose()


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ValueError):
        AnthropicAdvisor(api_key="")
