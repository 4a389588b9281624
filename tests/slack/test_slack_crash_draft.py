"""A bot process killed (`kill -9`) while a lab reply streams into Slack: the process that takes
the turn over finishes it in the draft the dead one left, so the learner sees one reply.

Both bots are real `tutorbot slack --http` processes on the suite's Redis, talking to the fake
Web API and the fake Messages API in this process."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import pytest

from tests.fakes.anthropic_server import FakeAnthropic, Reply
from tests.fakes.slack_api import FakeSlackApi, StoredMessage
from tests.processes import STARTS_PROCESSES_IN_TURN, TAKING_OVER, BotProcess
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET, SlackHarness, event_body, message_text, sign
from tests.slack.test_slack_app import open_first_lab

ALICE = "UALICE1"
SLOW = " ".join(f"slowword{i}" for i in range(60))  # streamed over several seconds, then cut off
FINAL = "A junior ML engineer spends most of the week on data pipelines and evaluation."


class SlackBot(BotProcess):
    """`tutorbot slack --http` on a free port."""

    def __init__(self, name: str, env: dict[str, str], data: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        super().__init__(name, ["slack", "--http", "--port", str(self.port)], env, data)
        self.url = f"http://127.0.0.1:{self.port}"

    async def ready(self, http: aiohttp.ClientSession, timeout: float = 60) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            assert self.alive, f"the bot exited at start-up: {self.output.read_text()[-2000:]}"
            try:
                async with http.get(f"{self.url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            assert loop.time() < deadline, "the bot did not start"
            await asyncio.sleep(0.1)

    async def dm(self, http: aiohttp.ClientSession, user: str, text: str) -> None:
        event = {
            "type": "message",
            "channel": SlackHarness.dm_channel(user),
            "channel_type": "im",
            "user": user,
            "text": text,
            "ts": "1700000000.000100",
            "event_ts": "1700000000.000100",
        }
        body = event_body("T1", event)
        headers = {"content-type": "application/json", **sign(body)}
        async with http.post(f"{self.url}/slack/events", data=body, headers=headers) as response:
            assert response.status == 200


@pytest.fixture
def slack_bot_env(slack_api: FakeSlackApi, bot_env: dict[str, str]) -> dict[str, str]:
    return {
        **bot_env,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api.api_url,
    }


def _replies(slack_api: FakeSlackApi) -> list[StoredMessage]:
    """The DM messages that show (part of) an advisor reply to the learner's question."""
    shown = slack_api.channel_messages(SlackHarness.dm_channel(ALICE))
    return [m for m in shown if "slowword" in message_text(m) or FINAL in message_text(m)]


@STARTS_PROCESSES_IN_TURN
@pytest.mark.parametrize(*TAKING_OVER)
async def test_a_draft_left_by_a_killed_process_becomes_the_one_final_reply(
    make_slack,
    slack_api: FakeSlackApi,
    anthropic_server: FakeAnthropic,
    bots,
    slack_bot_env,
    tmp_path: Path,
    survivor_name: str,
    lease_s: str,
) -> None:
    bot_env = {**slack_bot_env, "LAB_TURN_LEASE_S": lease_s}
    await open_first_lab(make_slack(), ALICE)
    anthropic_server.script(Reply(text=SLOW, chunk_delay=0.2), Reply(text=FINAL))
    async with aiohttp.ClientSession() as http:
        dying = SlackBot("bot-a", bot_env, tmp_path / "a")
        bots.append(dying)
        await dying.ready(http)
        await dying.dm(http, ALICE, "What does a junior ML engineer spend most of the week doing?")

        def streaming() -> bool:
            shown = _replies(slack_api)
            return bool(shown) and shown[0].edits >= 1  # posted, and edited as the reply streams

        await slack_api.wait_for(streaming, timeout=30)
        dying.kill()
        [draft] = _replies(slack_api)
        assert FINAL not in message_text(draft)

        survivor = SlackBot(survivor_name, bot_env, tmp_path / "b")
        bots.append(survivor)
        await survivor.ready(http)
        await slack_api.wait_for(lambda: "Exchanges: 1 of 3" in message_text(draft), timeout=30)

    [reply] = _replies(slack_api)  # one reply message: the former draft, no second one
    assert reply.ts == draft.ts
    text = message_text(reply)
    assert FINAL in text and "slowword" not in text
    assert len(anthropic_server.requests) == 2
