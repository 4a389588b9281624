"""Fixtures of the cohort service (real engine, stores and audit log on the suite's Redis) and
of the Slack and Discord harnesses (the real adapters against the local fake APIs)."""

from tests.cohorts.conftest import learner_store, make_world, module, world
from tests.discord.conftest import clock, discord_api, harness
from tests.slack.conftest import make_slack, slack_api, slack_settings, store

__all__ = [
    "clock",
    "discord_api",
    "harness",
    "learner_store",
    "make_slack",
    "make_world",
    "module",
    "slack_api",
    "slack_settings",
    "store",
    "world",
]
