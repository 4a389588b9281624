"""Which advisor the bot uses: the AI advisor under a budget, or the offline advisor."""

from __future__ import annotations

import logging
from dataclasses import replace

from redis.exceptions import RedisError

from bot.advisor.anthropic_advisor import AnthropicAdvisor
from bot.advisor.base import Advisor, AdvisorReplyText, AdvisorRequest, AdvisorUnavailable, OnDelta
from bot.advisor.budget import BudgetGuard
from bot.advisor.offline import OfflineAdvisor
from bot.advisor.retrieval import LessonIndexes
from bot.settings import Settings
from bot.storage.client import AsyncRedis
from bot.storage.keys import KeyBuilder

log = logging.getLogger(__name__)

NO_KEY_NOTE = "No ANTHROPIC_API_KEY set: labs use the offline advisor."
BUDGET_NOTE = "Today's AI advisor budget is used up; the offline advisor will help you finish the lab."
UNAVAILABLE_NOTE = (
    "The AI advisor is unavailable right now; the offline advisor will help you finish the lab."
)


def has_api_key(settings: Settings) -> bool:
    return bool(settings.anthropic_api_key and settings.anthropic_api_key.get_secret_value().strip())


def advisor_mode_note(settings: Settings) -> str | None:
    """A line for the terminal to print once at start-up, or None when the AI advisor is on."""
    return None if has_api_key(settings) else NO_KEY_NOTE


class GuardedAdvisor(Advisor):
    """The AI advisor within daily budgets, with the offline advisor as a stand-in.

    Over budget, or when the API refuses for good (a spend limit, a rejected key), the offline
    advisor answers, its reply starting with a plain note. A passing failure (rate limit,
    overload, timeout) still raises `AdvisorUnavailable`, so the learner can simply try again.
    """

    def __init__(self, primary: Advisor, guard: BudgetGuard, fallback: Advisor | None = None) -> None:
        self.primary = primary
        self.guard = guard
        self.fallback = fallback or OfflineAdvisor()

    async def reply(self, request: AdvisorRequest, on_delta: OnDelta | None = None) -> AdvisorReplyText:
        if not await self.guard.allowed(request.actor):
            return await self._fallback(request, on_delta, BUDGET_NOTE)
        try:
            answer = await self.primary.reply(request, on_delta)
        except AdvisorUnavailable as error:
            if error.retryable:
                raise
            return await self._fallback(request, on_delta, UNAVAILABLE_NOTE)
        try:
            await self.guard.record(request.actor, request.lab.id, answer.usage)
        except RedisError as error:
            # The learner already has the answer; losing one count is better than losing it.
            log.warning("could not record advisor usage for %s: %s", request.actor, type(error).__name__)
        return answer

    async def _fallback(
        self, request: AdvisorRequest, on_delta: OnDelta | None, note: str
    ) -> AdvisorReplyText:
        lead = f"{note}\n\n"

        async def with_note(text: str) -> None:
            assert on_delta is not None
            await on_delta(lead + text)

        answer = await self.fallback.reply(request, with_note if on_delta is not None else None)
        return replace(answer, text=lead + answer.text, offline=True)

    async def aclose(self) -> None:
        close = getattr(self.primary, "aclose", None)
        if close is not None:
            await close()


def budget_guard(settings: Settings, redis_client: AsyncRedis, keys: KeyBuilder) -> BudgetGuard | None:
    """The daily token budgets, when an API key is set (without one no tokens are spent)."""
    if not has_api_key(settings):
        return None
    return BudgetGuard(
        redis_client,
        keys,
        settings.learner_daily_tokens,
        settings.tenant_daily_tokens,
        model=settings.anthropic_model,
    )


def build_advisor(
    settings: Settings, redis_client: AsyncRedis, indexes: LessonIndexes | None = None
) -> Advisor:
    """No API key: the offline advisor. A key: the AI advisor, guarded by daily budgets. The
    offline advisor answers from `indexes`, the module's lesson indexes built with the runtime."""
    offline = OfflineAdvisor(indexes)
    guard = budget_guard(settings, redis_client, KeyBuilder(settings.key_prefix))
    if guard is None:
        return offline
    return GuardedAdvisor(AnthropicAdvisor.from_settings(settings), guard, offline)
