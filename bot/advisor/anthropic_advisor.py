"""The lab advisor backed by Anthropic's Messages API, streamed, with bounded retries.

The SDK can retry by itself, but it honours `retry-after` without an upper bound, so a learner
could wait minutes for one reply. Its own retries are switched off (`max_retries=0`) and this
module retries instead: a few times, with exponential backoff and jitter, honouring
`retry-after` only while it fits under `retry_after_cap` and the whole turn under
`max_total_wait`.

Retried: 408, 409, 429, 5xx (529 = overloaded), timeouts, dropped connections, an `error`
event in the middle of a stream, and a stream that ends without `message_stop` (a proxy
cutting it short: what arrived is part of an answer, not an answer). Not retried: a spend or usage limit (no retry can succeed
until someone raises it) and other 4xx errors. When no answer can be had, `AdvisorUnavailable`
is raised; its reason never contains the API key or the learner's text.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anthropic
import httpx2  # the SDK's HTTP client: a stalled stream raises its errors unwrapped
from anthropic.types import MessageParam, TextBlockParam

from bot.advisor import verdict
from bot.advisor.base import Advisor, AdvisorReplyText, AdvisorRequest, AdvisorUnavailable, OnDelta, Usage
from bot.advisor.prompt import build_prompt
from bot.settings import Settings, Thinking

log = logging.getLogger(__name__)

SPEND_LIMIT_CODES = frozenset(
    {
        "enforced_spend_limit_reached",
        "contract_spend_limit_reached",
        "linked_organization_spend_limit_reached",
    }
)
# Wording the API uses when an account is out of budget: "…would exceed your account's monthly
# spend limit…", "You have reached your specified API usage limits…", "Your credit balance is
# too low…".
_SPEND_LIMIT_TEXT = re.compile(r"spend(ing)? limit|usage limit|credit balance", re.IGNORECASE)
_RETRIED_STREAM_ERRORS = frozenset({"overloaded_error", "api_error", "rate_limit_error", "timeout_error"})


@dataclass(frozen=True)
class Failure:
    """How one failed attempt should be handled."""

    reason: str
    retry: bool
    """Worth another attempt within this turn."""
    retryable: bool = True
    """Worth the learner trying again later (`AdvisorUnavailable.retryable`)."""
    retry_after: float | None = None


def _retry_after(headers: Any) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date)."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        return None if parsed is None else max(0.0, email.utils.mktime_tz(parsed) - time.time())


def is_spend_limit(error: anthropic.APIStatusError) -> bool:
    if error.error_code in SPEND_LIMIT_CODES:
        return True
    return error.status_code in (400, 402, 403, 429) and bool(
        _SPEND_LIMIT_TEXT.search(error.api_message or "")
    )


def classify(error: Exception) -> Failure:
    """Map an SDK or transport error to a `Failure`. Reasons name the status, never the key."""
    if isinstance(error, anthropic.APIStatusError):
        status, kind = error.status_code, error.type or "error"
        if is_spend_limit(error):
            return Failure(f"the API spend limit is reached ({status} {kind})", retry=False, retryable=False)
        if status == 200:
            # An `error` event in the middle of a stream: the HTTP status was already 200.
            return Failure(f"the stream failed ({kind})", retry=kind in _RETRIED_STREAM_ERRORS)
        headers = error.response.headers if error.response is not None else None
        should_retry = headers.get("x-should-retry") if headers is not None else None
        transient = status in (408, 409, 429) or status >= 500
        if should_retry == "false":
            transient = False
        elif should_retry == "true":
            transient = True
        if transient:
            return Failure(
                f"the API is busy or failing ({status} {kind})", retry=True, retry_after=_retry_after(headers)
            )
        return Failure(f"the API refused the request ({status} {kind})", retry=False, retryable=False)
    if isinstance(error, (anthropic.APITimeoutError, httpx2.TimeoutException)):
        return Failure("the API timed out", retry=True)
    if isinstance(error, (anthropic.APIConnectionError, httpx2.TransportError)):
        return Failure("could not reach the API", retry=True)
    return Failure(f"unexpected API response ({type(error).__name__})", retry=False)


class TruncatedStream(Exception):
    """The stream ended without `message_stop`."""


class AnthropicAdvisor(Advisor):
    """Streams a reply from the Messages API; see the module notes for retries."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        model: str = "claude-haiku-5-5",
        max_tokens: int = 500,
        thinking: Thinking = "disabled",
        timeout: float = 30.0,
        max_retries: int = 2,
        max_total_wait: float = 20.0,
        retry_after_cap: float = 10.0,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        rng: random.Random | None = None,
        client: anthropic.AsyncAnthropic | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """`timeout` bounds each wait for the API (connect, or silence while reading);
        `max_total_wait` bounds the whole turn: no new attempt starts after it, and the sleeps
        between attempts fit inside it. A `retry-after` above `retry_after_cap` (or beyond the
        time left) ends the turn at once rather than retrying early. The turn's time is read
        from `clock` and waited with `sleep` (tests step their own)."""
        if not api_key:
            raise ValueError("an API key is required; without one use the offline advisor")
        self.model = model
        self.max_tokens = max_tokens
        self.thinking = thinking
        self.max_retries = max(0, max_retries)
        self.max_total_wait = max_total_wait
        self.retry_after_cap = retry_after_cap
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._rng = rng or random.Random()
        self._clock = clock
        self._sleep = sleep
        self._client = client or anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0
        )

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> AnthropicAdvisor:
        key = settings.anthropic_api_key.get_secret_value().strip() if settings.anthropic_api_key else ""
        options: dict[str, Any] = {
            "api_key": key,
            "base_url": settings.anthropic_base_url or None,
            "model": settings.anthropic_model,
            "max_tokens": settings.anthropic_max_tokens,
            "thinking": settings.anthropic_thinking,
            "timeout": settings.anthropic_timeout_s,
            "max_retries": settings.anthropic_max_retries,
            "max_total_wait": settings.anthropic_max_wait_s,
        }
        options.update(overrides)
        return cls(**options)

    def __repr__(self) -> str:
        return f"AnthropicAdvisor(model={self.model!r})"

    async def aclose(self) -> None:
        await self._client.close()

    def backoff(self, attempt: int) -> float:
        """Exponential delay before retry number `attempt` (0-based), with jitter in [50%, 100%]."""
        delay = min(self.backoff_base * (2**attempt), self.backoff_max)
        return float(delay * (0.5 + 0.5 * self._rng.random()))

    async def reply(self, request: AdvisorRequest, on_delta: OnDelta | None = None) -> AdvisorReplyText:
        prompt = build_prompt(request)
        started = self._clock()
        attempt = 0
        while True:
            try:
                return await self._attempt(request, prompt.system, prompt.messages, on_delta)
            except (anthropic.APIError, httpx2.TransportError) as error:
                failure = classify(error)
            except TruncatedStream:
                failure = Failure("the stream ended before the reply was complete", retry=True)
            log.warning(
                "advisor attempt %d failed for %s in lab %s: %s",
                attempt + 1,
                request.actor,
                request.lab.id,
                failure.reason,
            )
            delay = self._delay_before_retry(failure, attempt, self._clock() - started)
            if delay is None:
                raise AdvisorUnavailable(
                    f"{failure.reason}; gave up after {attempt + 1} attempt(s)", retryable=failure.retryable
                ) from None
            await self._sleep(delay)
            attempt += 1

    def _delay_before_retry(self, failure: Failure, attempt: int, elapsed: float) -> float | None:
        """Seconds to wait before the next attempt, or None to give up now."""
        if not failure.retry or attempt >= self.max_retries:
            return None
        if failure.retry_after is not None:
            if failure.retry_after > self.retry_after_cap:
                return None  # retrying sooner than asked would only be refused again
            delay = failure.retry_after
        else:
            delay = self.backoff(attempt)
        if elapsed + delay > self.max_total_wait:
            return None
        return delay

    async def _attempt(
        self,
        request: AdvisorRequest,
        system: list[TextBlockParam],
        messages: list[MessageParam],
        on_delta: OnDelta | None,
    ) -> AdvisorReplyText:
        raw = ""
        shown = ""
        complete = False
        options: dict[str, Any] = {}
        if self.thinking != "default":
            options["thinking"] = {"type": self.thinking}
        async with self._client.messages.stream(
            model=self.model,
            max_tokens=self.max_tokens,
            system=system,
            messages=messages,
            **options,
        ) as stream:
            async for event in stream:
                # `text` events carry text-block deltas only; thinking blocks never reach the learner.
                if event.type == "text" and event.text:
                    raw += event.text
                    so_far = verdict.read(raw)
                    if so_far.decided and so_far.visible != shown:
                        shown = so_far.visible
                        if on_delta is not None:
                            await on_delta(shown)
                elif event.type == "message_stop":
                    complete = True
            if not complete:
                raise TruncatedStream()
            message = await stream.get_final_message()

        judged = verdict.read("".join(block.text for block in message.content if block.type == "text"))
        text = judged.visible.strip()
        if message.stop_reason == "refusal":
            text = refusal_text(request)
        elif (
            message.stop_reason in ("max_tokens", "model_context_window_exceeded")
            and text
            and not text.endswith(("…", ".", "!", "?"))
        ):
            text += "…"
        if not text:
            raise AdvisorUnavailable("the API sent an empty reply", retryable=True)
        if on_delta is not None and text != shown:
            await on_delta(text)
        return AdvisorReplyText(
            text=text, offline=False, usage=usage_of(message.usage), on_topic=judged.on_topic
        )


def usage_of(usage: Any) -> Usage:
    return Usage(
        input_tokens=usage.input_tokens or 0,
        output_tokens=usage.output_tokens or 0,
        cache_read_tokens=getattr(usage, "cache_read_input_tokens", None) or 0,
        cache_write_tokens=getattr(usage, "cache_creation_input_tokens", None) or 0,
    )


def refusal_text(request: AdvisorRequest) -> str:
    """What the persona says when the model declines to answer."""
    return (
        f"That's not something I can help with here. As your {request.lab.advisor}, I'd rather keep us on"
        f' "{request.lesson.title}" and your task. What would you like to ask about it?'
    )
