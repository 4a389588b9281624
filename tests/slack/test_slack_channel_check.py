"""`/cohort channel NAME #channel` on Slack asks `conversations.info` whether the bot is in the
channel (`is_member`) and, when it is not, says to `/invite @tutorbot` there; the channel is
set either way, since inviting the bot afterwards is all it takes."""

from __future__ import annotations

from tests.fakes.slack_api import BOT_USER_ID, FakeSlackApi
from tests.slack.harness import SlackHarness

BOSS = "UBOSS01"
SHOUT = "CSHOUT01"


async def test_the_cohort_channel_says_to_invite_the_bot_when_it_is_not_in_it(
    make_slack, slack_api: FakeSlackApi
) -> None:
    slack: SlackHarness = make_slack()
    slack_api.users[BOSS] = {"is_admin": True}
    await slack.cohort(BOSS, "create spring")
    slack_api.channel_members[SHOUT] = ["U002"]

    answer = await slack.cohort(BOSS, f"channel spring <#{SHOUT}|shout-outs>")
    assert f"channel is now <#{SHOUT}>" in answer.text
    assert f"I'm not in <#{SHOUT}>" in answer.text and "`/invite @tutorbot`" in answer.text
    (asked,) = slack_api.of("conversations.info")
    assert asked.body["channel"] == SHOUT

    slack_api.channel_members[SHOUT].append(BOT_USER_ID)  # invited
    await slack.cohort(BOSS, "channel spring none")
    answer = await slack.cohort(BOSS, f"channel spring <#{SHOUT}|shout-outs>")
    assert f"channel is now <#{SHOUT}>" in answer.text
    assert "I'm not in" not in answer.text and "⚠️" not in answer.text

    # A private channel the bot was never invited to is invisible to it: the same advice.
    await slack.cohort(BOSS, "channel spring none")
    answer = await slack.cohort(BOSS, "channel spring <#GSECRET1|secret>")
    assert "I'm not in <#GSECRET1>" in answer.text
