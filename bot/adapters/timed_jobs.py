"""The scheduler jobs a Slack or Discord process runs: everything that messages learners on time,
and the nudge sweep that plans them (which any scheduler process may run). A Discord process
adds its own (`DiscordAdapter.timed_jobs`: the pass role's grant and its sweep)."""

from __future__ import annotations

from typing import Any

from bot.adapters.delivery import PlatformOutbox
from bot.adapters.discord.pass_role_jobs import RECURRING as PASS_ROLE_SWEEP
from bot.nudges.sender import nudge_handlers
from bot.nudges.sweep import RECURRING as NUDGE_SWEEP
from bot.nudges.sweep import sweep_handlers
from bot.nudges.zones import ZoneOf
from bot.releases.announce import release_handlers
from bot.releases.sweep import RECURRING as RELEASE_SWEEP
from bot.runtime import Runtime
from bot.scheduler.clock import Clock, SystemClock
from bot.scheduler.runner import Handler

__all__ = ["RECURRING", "timed_handlers"]

RECURRING = {**NUDGE_SWEEP, **RELEASE_SWEEP, **PASS_ROLE_SWEEP}
"""The recurring jobs (kind → period): the nudge sweep, the release sweep and the pass-role
sweep; a process seeds only those it has a handler for (the last: Discord processes only)."""


def timed_handlers(
    runtime: Runtime,
    outbox: PlatformOutbox[Any],
    platform: str,
    *,
    zone_of: ZoneOf | None = None,
    clock: Clock | None = None,
) -> dict[str, Handler]:
    """`platform`'s nudges (in each learner's own zone where `zone_of` asks the platform for
    it), the nudge sweep, lesson releases and the release sweep."""
    clock = clock or SystemClock()
    zones = {platform: zone_of} if zone_of is not None else None
    return {
        **sweep_handlers(runtime.store, runtime.engine.course, clock, zones),
        **nudge_handlers(runtime.store, outbox, platform, clock=clock, zone_of=zone_of),
        **release_handlers(runtime, outbox, platform, clock),
    }
