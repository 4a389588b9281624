"""The scheduler jobs a Slack or Discord process runs: everything that messages learners on time."""

from __future__ import annotations

from bot.domain.outbox import Outbox
from bot.nudges.sender import nudge_handlers
from bot.releases.announce import release_handlers
from bot.runtime import Runtime
from bot.scheduler.runner import Handler


def timed_handlers(runtime: Runtime, outbox: Outbox, platform: str) -> dict[str, Handler]:
    """The jobs a process of `platform` runs: those only it can deliver, and shared ones."""
    return {**nudge_handlers(runtime, outbox), **release_handlers(runtime, outbox, platform)}
