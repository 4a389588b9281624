"""Share my pass on Slack: offered under the certificate, posted in the cohort's channel
(`/cohort channel`) only when the learner presses it, and only once."""

from __future__ import annotations

from typing import Any

from bot.credentials.sharing import ACTION, LABEL
from bot.domain.codec import encode
from bot.domain.events import Actor
from tests.credentials.passes import SECRET, passed_state
from tests.slack.harness import SlackHarness, click_body

BOSS = "UBOSS01"
SHOUT = "CSHOUT01"


async def passed(store: Any, module: Any, user: str) -> None:
    actor = Actor(platform="slack", tenant="T1", user=user)
    assert (await store.commit(actor, await store.load(actor), encode(passed_state(module)))).ok


async def press_share(slack: SlackHarness, user: str, hook: str) -> str:
    """Presses Share my pass in the learner's DM; returns what they were answered."""
    (offer,) = [
        m
        for m in slack.dm_messages(user)
        if any(e.get("action_id") == ACTION for b in m.blocks for e in b.get("elements", []))
    ]
    body = click_body(
        "T1",
        user,
        "share",
        channel=offer.channel,
        ts=offer.ts,
        response_url=slack.api.response_url(hook),
        action_id=ACTION,
        label=LABEL,
    )
    response = await slack.dispatch(body, "application/x-www-form-urlencoded")
    assert response.status == 200
    await slack.settle()
    (answer,) = [c.body for c in slack.api.of("response_url") if c.body.get("hook") == hook]
    assert answer.get("response_type") == "ephemeral"
    return str(answer.get("text"))


async def test_share_my_pass_posts_once_and_only_when_pressed(make_slack, slack_api, module, store) -> None:
    slack: SlackHarness = make_slack(certificate_secret=SECRET)
    slack_api.users[BOSS] = {"is_admin": True}
    assert (await slack.cohort(BOSS, "create spring")).text
    await slack.cohort(BOSS, "enrol spring <@U002>")
    await passed(store, module, "U002")

    await slack.command("U002", "certificate")
    assert "Nothing is posted unless you press it" in slack.dm_text("U002")
    assert slack_api.channel_messages(SHOUT) == []

    said = await press_share(slack, "U002", "share-1")
    assert "no channel for shout-outs" in said and "/cohort channel" in said

    answer = await slack.cohort(BOSS, f"channel spring <#{SHOUT}|shout-outs>")
    assert f"<#{SHOUT}>" in answer.text and "Share my pass" in answer.text
    assert slack_api.channel_messages(SHOUT) == [], "setting the channel posts nothing"

    said = await press_share(slack, "U002", "share-2")
    assert f"Shared in <#{SHOUT}>" in said
    (shout,) = slack_api.channel_messages(SHOUT)
    assert "<@U002>" in shout.text and module.title in shout.text

    said = await press_share(slack, "U002", "share-3")
    assert "already shared" in said
    assert len(slack_api.channel_messages(SHOUT)) == 1, "a second press posts nothing"


async def test_a_learner_outside_any_cohort_is_told_why_nothing_was_posted(
    make_slack, slack_api, module, store
):
    slack: SlackHarness = make_slack(certificate_secret=SECRET)
    await passed(store, module, "U003")
    await slack.command("U003", "certificate")
    said = await press_share(slack, "U003", "share-x")
    assert "not in a cohort" in said and "Nothing was posted" in said
    assert not [c for c in slack_api.of("chat.postMessage") if c.body.get("channel", "").startswith("C")]
