"""The engine and `tutorbot simulate` with the Anthropic advisor, against the fake Messages API."""

from __future__ import annotations

import json

from bot.advisor.factory import build_advisor
from bot.domain.messages import AdvisorReply
from bot.settings import Settings
from bot.simulate import run_simulation
from tests.engine.driver import Learner
from tests.fakes.anthropic_server import Reply, overloaded


def settings_for(server, redis_url: str, api_key: str, **extra) -> Settings:
    return Settings(
        redis_url=redis_url,
        anthropic_api_key=api_key,
        anthropic_base_url=server.url,
        **{"anthropic_max_wait_s": 2, **extra},
    )


async def test_simulate_runs_with_the_anthropic_advisor(
    anthropic_server, redis_url, redis, api_key, monkeypatch, capsys
):
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", api_key)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic_server.url)
    assert await run_simulation(learners=3, accuracy=1.0, seed=7) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["completed"] == 3 and summary["passed"] == 3 and summary["errors"] == 0
    assert summary["consistency"]["ok"]
    assert len(anthropic_server.requests) == 3 * 4 * 3  # 3 learners × 4 labs × 3 exchanges
    assert all(r.api_key == api_key for r in anthropic_server.requests)


async def test_overloaded_advisor_offers_retry_and_the_retry_counts(
    anthropic_server, redis_url, redis, api_key, make_engine, module, store
):
    # One retry, and time enough for it however slowly the machine answers: the bound on the
    # turn's wait has its own tests (`tests/advisor`).
    settings = settings_for(
        anthropic_server, redis_url, api_key, anthropic_max_retries=1, anthropic_max_wait_s=60
    )
    advisor = build_advisor(settings, redis)
    learner = Learner(make_engine(advisor))
    await learner.command("start")
    await learner.read_lesson()
    await learner.open(module.lessons[0].lab.id)
    anthropic_server.script(overloaded(), overloaded())
    await learner.say("Which tools matter most on day one for an ML engineer?")
    assert "unavailable" in learner.notices()[0]
    assert len(anthropic_server.requests) == 2  # asked, and asked once more
    assert await store.transcript(learner.actor, module.lessons[0].lab.id, 10) == []

    anthropic_server.script(Reply(text="Start with Python, PyTorch and Docker."))
    await learner.press("retry")
    replies = [b for m in learner.shown for b in m.blocks if isinstance(b, AdvisorReply)]
    assert replies[0].text == "Start with Python, PyTorch and Docker." and not replies[0].offline
    assert learner.outbox.drafts  # it streamed
    assert len(anthropic_server.requests) == 3
    state = json.loads((await store.load(learner.actor)).data)
    assert state["progress"]["labs"][module.lessons[0].lab.id]["exchanges"] == 1


async def test_process_dying_mid_reply_is_recovered_with_one_reply(
    anthropic_server, redis_url, redis, api_key, make_engine, module, store
):
    import asyncio

    from tests.fakes.anthropic_server import StallMidStream

    settings = settings_for(anthropic_server, redis_url, api_key)
    learner = Learner(make_engine(build_advisor(settings, redis)))
    await learner.command("start")
    await learner.read_lesson()
    await learner.open(module.lessons[0].lab.id)
    anthropic_server.script(StallMidStream(text_before="Day one is mostly", seconds=30))
    question = "Which tools matter most on day one for an ML engineer?"
    turn = asyncio.create_task(learner.say(question))
    while not learner.outbox.drafts:
        await asyncio.sleep(0.01)
    turn.cancel()  # the process dies while the reply streams
    await asyncio.gather(turn, return_exceptions=True)

    anthropic_server.script(Reply(text="Python first, then PyTorch and Docker."))
    restarted = Learner(make_engine(build_advisor(settings, redis)))
    await restarted.engine.recover(restarted.actor, restarted.outbox)
    replies = [
        b for _, m in restarted.outbox.sent for b in m.blocks if isinstance(b, AdvisorReply) and b.turn
    ]
    assert [r.text for r in replies] == ["Python first, then PyTorch and Docker."]
    lines = [json.loads(x) for x in await store.transcript(learner.actor, module.lessons[0].lab.id, 10)]
    assert [(line["role"], line["text"]) for line in lines] == [
        ("learner", question),
        ("advisor", "Python first, then PyTorch and Docker."),
    ]
    # The re-asked request carried the learner's message exactly once.
    sent = json.dumps(anthropic_server.requests[-1].body["messages"])
    assert sent.count(question) == 1


async def test_claude_sees_the_conversation_so_far(
    anthropic_server, redis_url, redis, api_key, make_engine, module
):
    settings = settings_for(anthropic_server, redis_url, api_key)
    learner = Learner(make_engine(build_advisor(settings, redis)))
    await learner.command("start")
    await learner.read_lesson()
    await learner.open(module.lessons[0].lab.id)
    anthropic_server.script(
        Reply(text="Mostly data pipelines and serving."), Reply(text="PyTorch and Docker.")
    )
    await learner.say("What does a junior ML engineer spend most of the week doing?")
    await learner.say("Which tools should I learn first for that kind of work?")
    second = anthropic_server.requests[-1].body["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    assert "Mostly data pipelines and serving." in json.dumps(second[1])


async def _in_lab_with_claude(
    anthropic_server, redis_url, redis, api_key, make_engine, module, user="claude-lab", **extra
):
    settings = settings_for(anthropic_server, redis_url, api_key, **extra)
    learner = Learner(make_engine(build_advisor(settings, redis)), user=user)
    await learner.command("start")
    await learner.read_lesson()
    await learner.open(module.lessons[0].lab.id)
    return learner


def _exchanges(state: dict, module) -> int:
    return state["progress"]["labs"].get(module.lessons[0].lab.id, {}).get("exchanges", 0)


async def test_an_off_topic_verdict_in_the_same_reply_keeps_the_message_from_counting(
    anthropic_server, redis_url, redis, api_key, make_engine, module, store
):
    learner = await _in_lab_with_claude(anthropic_server, redis_url, redis, api_key, make_engine, module)
    anthropic_server.script(
        Reply(
            text="<verdict>off-topic</verdict>\nHappy to chat, but let's get back to your interview prep: "
            "what would you ask about the role?",
            chunks=(
                "<verd",
                "ict>off-top",
                "ic</verdict>\nHappy to chat, ",
                "but let's get back to your interview prep: what would you ask about the role?",
            ),
        )
    )
    await learner.say("Can you recommend a good pizza place near the train station tonight?")
    assert len(anthropic_server.requests) == 1  # judged in the same call as the reply
    shown = [b for m in learner.shown for b in m.blocks if isinstance(b, AdvisorReply)]
    assert shown[0].text.startswith("Happy to chat, but let's get back")
    assert all("verdict" not in draft.text for _, draft in learner.outbox.drafts)
    assert "off the lab's subject" in learner.text() and "Exchanges: 0 of 3" in learner.text()
    assert _exchanges(json.loads((await store.load(learner.actor)).data), module) == 0

    anthropic_server.script(Reply(text="<verdict>on-topic</verdict>\nPython, PyTorch and Docker first."))
    await learner.say("Which tools matter most on day one for an ML engineer?")
    shown = [b for m in learner.shown for b in m.blocks if isinstance(b, AdvisorReply)]
    assert shown[0].text == "Python, PyTorch and Docker first."
    assert _exchanges(json.loads((await store.load(learner.actor)).data), module) == 1


async def test_a_reply_without_a_verdict_counts(
    anthropic_server, redis_url, redis, api_key, make_engine, module, store
):
    learner = await _in_lab_with_claude(anthropic_server, redis_url, redis, api_key, make_engine, module)
    anthropic_server.script(Reply(text="Start with Python and SQL."))
    await learner.say("Which tools matter most on day one for an ML engineer?")
    assert _exchanges(json.loads((await store.load(learner.actor)).data), module) == 1


async def test_the_prompt_asks_for_the_verdict_and_the_learners_own_topics_in_the_recap(
    anthropic_server, redis_url, redis, api_key, make_engine, module
):
    learner = await _in_lab_with_claude(anthropic_server, redis_url, redis, api_key, make_engine, module)
    for text in (
        "Is quantization worth the accuracy loss when serving a model?",
        "How much are ML engineers paid at startups compared with big tech?",
        "What does model drift look like in a recommendation system?",
    ):
        await learner.say(text)
    system = " ".join(block["text"] for block in anthropic_server.requests[-1].body["system"])
    assert "<verdict>off-topic</verdict>" in system and "<verdict>on-topic</verdict>" in system
    assert "Quantization" in system and "Salary Context (2024 US Market)" in system
    assert "Lab complete" in learner.text()


async def test_thinking_is_turned_off_on_the_wire_and_the_setting_changes_it(
    anthropic_server, redis_url, redis, api_key, make_engine, module
):
    learner = await _in_lab_with_claude(anthropic_server, redis_url, redis, api_key, make_engine, module)
    await learner.say("Which tools matter most on day one for an ML engineer?")
    assert anthropic_server.requests[-1].body["thinking"] == {"type": "disabled"}
    assert anthropic_server.requests[-1].body["max_tokens"] == 500

    adaptive = await _in_lab_with_claude(
        anthropic_server,
        redis_url,
        redis,
        api_key,
        make_engine,
        module,
        user="adaptive",
        anthropic_thinking="adaptive",
    )
    await adaptive.say("Which tools matter most on day one for an ML engineer?")
    assert anthropic_server.requests[-1].body["thinking"] == {"type": "adaptive"}

    default = await _in_lab_with_claude(
        anthropic_server,
        redis_url,
        redis,
        api_key,
        make_engine,
        module,
        user="default",
        anthropic_thinking="default",
    )
    await default.say("Which tools matter most on day one for an ML engineer?")
    assert "thinking" not in anthropic_server.requests[-1].body
