"""A Slack load run: N learners in one workspace through the HTTP app, against a local fake Web API
that enforces Slack's rate-limit tiers with real 429s.

    python -m bench.slack_load                 # 500 learners, about two minutes
    python -m bench.slack_load --learners 100 --seconds 30

Each learner arrives within the first `--ramp` seconds, says "start" in its DM, and then acts at
a human pace (a few seconds of reading between actions): it presses a button of the last card
that has any (an answer, Next, a lab opener…) and, in a lab, sometimes types a question, which a
streaming advisor answers (Claude's Messages API played by the local fake, streaming word by word
for about three seconds). The app is `tutorbot slack --http` itself, run as its own process on its
own embedded Redis; every request is signed and POSTed to it over HTTP.

Printed: acknowledgement p50/p99 (HTTP answer to each request), click-to-message p50/p99 (from a
click to the first reply the learner sees: a card, an edit, an ephemeral note), lab reply p50/p99
(from the question to the final reply), 429s received, `chat.update` calls made, messages
lost (an acknowledged action with no reply, or a lab question without its final reply, when the
run ends; must be 0) and duplicated (the same message posted twice in a row to a DM; must be 0).
The last line is a JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import aiohttp

from bot.domain.events import Actor
from bot.render.actions import decode
from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.anthropic_server import Reply as AdvisorReply
from tests.fakes.slack_api import Call, FakeSlackApi
from tests.slack.harness import click_body, event_body, sign

TOKEN = "xoxb-bench-token"
SECRET = "bench-signing-secret"
TEAM = "TBENCH"
FORM = "application/x-www-form-urlencoded"
CURSOR = "▌"
PREFERRED = ("answer", "next", "begin", "say", "open", "retake", "retry", "resume", "menu")


LAB_REPLY = (
    "A junior ML engineer spends much of the week on data pipelines, model evaluation and deployment "
    "work with the team, more than on new model architectures. What would you like to explore next?"
)
"""The advisor's answer, streamed word by word (0.1 s apart, about three seconds in all)."""


@dataclass
class Learner:
    user: str
    replies: int = 0
    """Reply calls seen for this learner (posts, edits, ephemerals, hooks)."""
    finals: int = 0
    """Non-draft messages posted or edited into the DM."""
    acted: list[float] = field(default_factory=list)
    """When (monotonic) each action was sent."""
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def channel(self) -> str:
        return f"D{self.user}"[:20]


@dataclass
class Figures:
    acks: list[float] = field(default_factory=list)
    clicks: list[float] = field(default_factory=list)
    labs: list[float] = field(default_factory=list)
    actions: int = 0
    lost: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


def _learner_of(call: Call, by_channel: dict[str, Learner], by_user: dict[str, Learner]) -> Learner | None:
    if call.method in ("chat.postMessage", "chat.update", "chat.delete"):
        return by_channel.get(str(call.body.get("channel", "")))
    if call.method == "chat.postEphemeral":
        return by_user.get(str(call.body.get("user", "")))
    if call.method == "response_url":
        return by_user.get(str(call.body.get("hook", "")).split(".")[0])
    return None


def _is_final(call: Call) -> bool:
    if call.method not in ("chat.postMessage", "chat.update"):
        return False
    return CURSOR not in json.dumps(call.body.get("blocks") or [], ensure_ascii=False)


async def _wait(learner: Learner, counter: str, above: int, timeout: float) -> bool:
    """Wait until the learner's `counter` (replies, finals) exceeds `above`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while getattr(learner, counter) <= above:
        remaining = deadline - loop.time()
        if remaining <= 0:
            return False
        learner.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(learner.changed.wait(), remaining)
    return True


def _buttons(api: FakeSlackApi, learner: Learner) -> tuple[str | None, list[tuple[str, str]]]:
    """The learner's last card that has buttons: its ts, and (action, value) of each button."""
    actor = Actor(platform="slack", tenant=TEAM, user=learner.user)
    for message in reversed(api.channel_messages(learner.channel)):
        found: list[tuple[str, str]] = []
        for block in message.blocks:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                press = decode(element.get("value"), actor)
                if press is not None:
                    found.append((press.action, element["value"]))
        if found:
            return message.ts, found
    return None, []


async def _post(
    http: aiohttp.ClientSession, url: str, body: str, content_type: str, figures: Figures
) -> bool:
    headers = {**sign(body, secret=SECRET), "content-type": content_type}
    started = time.perf_counter()
    async with http.post(url, data=body, headers=headers) as response:
        await response.read()
        figures.acks.append(time.perf_counter() - started)
        return response.status == 200


async def _learner(
    n: int,
    learner: Learner,
    api: FakeSlackApi,
    http: aiohttp.ClientSession,
    url: str,
    figures: Figures,
    *,
    ramp: float,
    until: float,
    reply_timeout: float,
    rng: random.Random,
) -> None:
    loop = asyncio.get_running_loop()
    await asyncio.sleep(rng.uniform(0, ramp))
    clicks = 0
    text = "start"
    last = ""
    while loop.time() < until:
        before_replies, before_finals = learner.replies, learner.finals
        started = time.perf_counter()
        learner.acted.append(time.monotonic())
        if text:
            last = "text"
            event = {
                "type": "message",
                "channel": learner.channel,
                "channel_type": "im",
                "user": learner.user,
                "text": text,
                "ts": f"{time.time():.6f}",
            }
            accepted = await _post(http, url, event_body(TEAM, event), "application/json", figures)
            wants_final = text != "start"
        else:
            ts, buttons = _buttons(api, learner)
            if not buttons:
                text = "resume"
                continue
            ranked = sorted(buttons, key=lambda b: PREFERRED.index(b[0]) if b[0] in PREFERRED else 99)
            action = ranked[0][0]
            last = action
            figures.kinds[action] = figures.kinds.get(action, 0) + 1
            value = rng.choice([b[1] for b in ranked if b[0] == action])
            clicks += 1
            body = click_body(
                TEAM,
                learner.user,
                value,
                channel=learner.channel,
                ts=ts,
                response_url=api.response_url(f"{learner.user}.{clicks}"),
            )
            accepted = await _post(http, url, body, FORM, figures)
            wants_final = action == "say"
        figures.actions += 1
        if not accepted or not await _wait(learner, "replies", before_replies, reply_timeout):
            figures.lost += 1
        else:
            if not text:
                figures.clicks.append(time.perf_counter() - started)
            if wants_final:
                if await _wait(learner, "finals", before_finals, reply_timeout):
                    figures.labs.append(time.perf_counter() - started)
                else:
                    figures.lost += 1
        # In a lab, sometimes ask in one's own words instead of pressing an opener.
        in_lab = any(action == "say" for action, _ in _buttons(api, learner)[1])
        text = (
            "What does a junior ML engineer spend most of the week doing?"
            if in_lab and rng.random() < 0.5
            else ""
        )
        # At a human pace: a lesson card is skimmed, a question or a reply read properly.
        await asyncio.sleep(rng.uniform(1.5, 4.0) if last == "next" else rng.uniform(3.0, 8.0))


def _duplicates(api: FakeSlackApi, actions: dict[str, list[float]]) -> int:
    """Posts repeating the message just before them in the same DM with no action of the learner
    in between (a resume, or the same reply to two actions, is not a duplicate)."""
    last: dict[str, tuple[str, int]] = {}
    found = 0
    for call in api.calls:
        if call.method != "chat.postMessage" or not call.ok:
            continue
        channel = str(call.body.get("channel"))
        shown = json.dumps(
            [call.body.get("text"), call.body.get("blocks")], sort_keys=True, ensure_ascii=False
        )
        acted = sum(1 for at in actions.get(channel, ()) if at < call.at)
        if last.get(channel) == (shown, acted) and CURSOR not in shown:
            found += 1
        last[channel] = (shown, acted)
    return found


def _quantiles(values: Sequence[float]) -> tuple[float, float]:
    if len(values) < 2:
        return (values[0] * 1000, values[0] * 1000) if values else (0.0, 0.0)
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


async def _serve_app(
    api: FakeSlackApi, advisor_url: str, folder: Path, log: IO[bytes]
) -> tuple[asyncio.subprocess.Process, str]:
    """`tutorbot slack --http` in its own process, on its own embedded Redis, with the advisor
    (Claude's Messages API, here the local fake) streaming its replies."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "REDIS_", "ANTHROPIC_"))},
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api.api_url,
        "DATA_DIR": str(folder),
        "KEY_PREFIX": "bench",
        "ANTHROPIC_API_KEY": "sk-ant-bench",
        "ANTHROPIC_BASE_URL": advisor_url,
        "REDIS_MAX_CONNECTIONS": "128",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "slack",
        "--http",
        "--port",
        str(port),
        cwd=folder,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(f"{base}/healthz") as health:
                    if health.status == 200:
                        return process, f"{base}/slack/events"
            except aiohttp.ClientError:
                pass
            if process.returncode is not None:
                break
            await asyncio.sleep(0.1)
    process.kill()
    raise SystemExit(f"the Slack app did not start; see {folder / 'app.log'}")


async def run_slack_load(learners: int, seconds: float, ramp: float, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    crowd = [Learner(f"U{n:06d}") for n in range(learners)]
    by_channel = {learner.channel: learner for learner in crowd}
    by_user = {learner.user: learner for learner in crowd}

    def watch(call: Call) -> None:
        learner = _learner_of(call, by_channel, by_user)
        if learner is None or not call.ok or call.method == "chat.delete":
            return
        learner.replies += 1
        learner.finals += _is_final(call)
        learner.changed.set()

    with tempfile.TemporaryDirectory(prefix="tutorbot-bench-") as scratch, contextlib.ExitStack() as stack:
        async with (
            FakeSlackApi(token=TOKEN, team_id=TEAM, enforce_tiers=True) as api,
            FakeAnthropic(default=AdvisorReply(text=LAB_REPLY, chunk_delay=0.1)) as advisor,
        ):
            api.listeners.append(watch)
            app_log = stack.enter_context((Path(scratch) / "app.log").open("wb"))
            process, url = await _serve_app(api, advisor.url, Path(scratch), app_log)
            figures = Figures()
            started = time.perf_counter()
            until = asyncio.get_running_loop().time() + ramp + seconds
            try:
                connector = aiohttp.TCPConnector(limit=256)
                async with aiohttp.ClientSession(connector=connector) as http:
                    await asyncio.gather(
                        *(
                            _learner(
                                n,
                                learner,
                                api,
                                http,
                                url,
                                figures,
                                ramp=ramp,
                                until=until,
                                reply_timeout=60.0,
                                rng=random.Random(rng.random()),
                            )
                            for n, learner in enumerate(crowd)
                        )
                    )
            finally:
                process.send_signal(signal.SIGTERM)  # the app finishes what it acknowledged, then stops
                exit_code = await process.wait()
            elapsed = time.perf_counter() - started
    ack50, ack99 = _quantiles(figures.acks)
    click50, click99 = _quantiles(figures.clicks)
    lab50, lab99 = _quantiles(figures.labs)
    edits = [c for c in api.calls if c.method == "chat.update" and c.ok]
    return {
        "learners": learners,
        "seconds": round(elapsed, 1),
        "actions": figures.actions,
        "ack_p50_ms": round(ack50, 1),
        "ack_p99_ms": round(ack99, 1),
        "click_to_message_p50_ms": round(click50, 1),
        "click_to_message_p99_ms": round(click99, 1),
        "lab_reply_p50_ms": round(lab50, 1),
        "lab_reply_p99_ms": round(lab99, 1),
        "lab_replies": len(figures.labs),
        "http_429s": api.rate_limited,
        "chat_update_calls": len(edits),
        "messages_lost": figures.lost,
        "messages_duplicated": _duplicates(api, {ln.channel: ln.acted for ln in crowd}),
        "app_exit_code": exit_code,
        "presses": dict(sorted(figures.kinds.items())),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.slack_load", description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=75.0, help="acting time after the ramp")
    parser.add_argument("--ramp", type=float, default=20.0, help="learners arrive within this many seconds")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    result = asyncio.run(run_slack_load(args.learners, args.seconds, args.ramp, args.seed))
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    print(json.dumps(result))
    return 0 if result["messages_lost"] == 0 and result["messages_duplicated"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
