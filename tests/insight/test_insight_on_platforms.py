"""Insight through the real Slack and Discord adapters against the local fake APIs: a chart
reaches the facilitator's DM as an image; a reveal is posted in the command's channel with
counts only, and its answer step is a second, separate post."""

from __future__ import annotations

import random
from typing import Any

from bot.course.models import Module
from bot.domain.events import Actor
from bot.engine.engine import Engine
from bot.simulate import SimulatedLearner
from tests.discord.harness import CHANNEL as DISCORD_CHANNEL
from tests.discord.harness import GUILD, DiscordHarness
from tests.discord.test_discord_cohort import boss
from tests.discord.test_discord_cohort import text as discord_text
from tests.slack.harness import CHANNEL as SLACK_CHANNEL
from tests.slack.harness import SlackHarness
from tests.slack.test_slack_cohort import admins

SLACK_LEARNERS = [f"U00{n}" for n in range(1, 7)]
DISCORD_LEARNERS = [f"53000000000000010{n}" for n in range(6)]


async def take_module(engine: Engine, module: Module, actors: list[Actor]) -> None:
    rng = random.Random(2)
    for actor in actors:
        await SimulatedLearner(engine, module, actor, random.Random(rng.random()), 0.7).take_module()


async def test_slack_chart_to_the_dm_and_reveal_in_the_channel(make_slack, slack_api, module) -> None:
    slack: SlackHarness = make_slack()
    admins(slack_api, "UADMIN")
    await slack.cohort("UADMIN", "create spring")
    await slack.cohort("UADMIN", "enrol spring " + " ".join(f"<@{u}>" for u in SLACK_LEARNERS))
    actors = [Actor(platform="slack", tenant="T1", user=u) for u in SLACK_LEARNERS]
    await take_module(slack.adapter.engine, module, actors)

    chart = await slack.cohort("UADMIN", "chart spring scores")
    assert chart.ephemeral and "The files are in your DM with me." in chart.text
    (picture,) = [f for f in slack_api.uploads if f.filename.endswith(".png")]
    assert picture.channel == slack.dm_channel("UADMIN") and picture.content.startswith(b"\x89PNG")
    assert "6 learners sat the test" in picture.initial_comment

    reveal = await slack.cohort("UADMIN", "reveal spring L1Q1", channel=SLACK_CHANNEL)
    assert reveal.ephemeral and "Posting how `spring` answered L1Q1" in reveal.text
    posted = [f for f in slack_api.uploads if f.channel == SLACK_CHANNEL]
    assert len(posted) == 1 and posted[0].content.startswith(b"\x89PNG")
    comment = posted[0].initial_comment
    assert "(6 first answers)" in comment and module.lessons[0].quiz.questions[0].stem in comment
    assert not any(u in comment for u in [*SLACK_LEARNERS, "UADMIN"])
    before = len(slack_api.messages)
    await slack.cohort("UADMIN", "reveal spring L1Q1 answer", channel=SLACK_CHANNEL)
    answers = [m for m in list(slack_api.messages.values())[before:] if m.channel == SLACK_CHANNEL]
    key = next(o for o in module.lessons[0].quiz.questions[0].options if o.correct)
    assert len(answers) == 1 and key.text in answers[0].text


async def test_discord_reveal_posts_in_the_channel_and_refuses_a_plain_member(
    harness: DiscordHarness, module: Module
) -> None:
    api = harness.api
    await boss(harness, "create", name="spring")
    for uid in DISCORD_LEARNERS:
        await boss(harness, "enrol", name="spring", user_id=uid)
    actors = [Actor(platform="discord", tenant=GUILD, user=u) for u in DISCORD_LEARNERS]
    await take_module(harness.adapter.engine, module, actors)

    answer = await boss(harness, "reveal", name="spring", question="T4")
    assert "Posting how `spring` answered T4" in discord_text(answer)
    posted: list[dict[str, Any]] = [m for m in api.in_channel(DISCORD_CHANNEL) if m.get("files")]
    assert len(posted) == 1
    content = posted[0]["content"]
    assert "(6 first answers)" in content and module.test.questions[3].stem in content
    assert not any(uid in content for uid in DISCORD_LEARNERS)
    ((name, png),) = posted[0]["files"]
    assert name == "spring-T4.png" and png.startswith(b"\x89PNG")
    key = next(o for o in module.test.questions[3].options if o.correct)
    assert "answer to" not in content.lower() and module.test.questions[3].feedback.correct not in content

    await boss(harness, "reveal", name="spring", question="T4", step="answer")
    later = [m for m in api.in_channel(DISCORD_CHANNEL) if "The answer to T4" in m.get("content", "")]
    assert len(later) == 1 and key.text in later[0]["content"]

    refused = await harness.cohort("510000000000000002", "reveal", name="spring", question="T4")
    assert "Only" in discord_text(refused)
    assert len([m for m in api.in_channel(DISCORD_CHANNEL) if m.get("files")]) == 1
