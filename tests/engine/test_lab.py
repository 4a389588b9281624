"""Lab turns: counting exchanges, limits, the two commits, failures and crash recovery."""

from __future__ import annotations

import asyncio
import json

from bot.advisor.base import Advisor, AdvisorReplyText, AdvisorRequest, AdvisorUnavailable
from bot.domain.messages import AdvisorReply
from bot.engine.engine import EngineConfig
from bot.flows.context import Limits
from tests.engine.driver import Learner

QUESTION = "What does a junior ML engineer spend most of the week doing?"


async def enter_lab(learner: Learner, module) -> None:
    await learner.command("start")
    await learner.read_lesson()
    await learner.open(module.lessons[0].lab.id)


def replies(learner: Learner) -> list[AdvisorReply]:
    return [b for m in learner.shown for b in m.blocks if isinstance(b, AdvisorReply) and b.turn > 0]


async def transcript(store, learner: Learner, module) -> list[dict]:
    return [json.loads(line) for line in await store.transcript(learner.actor, module.lessons[0].lab.id, 100)]


async def test_lab_shows_task_openers_and_greeting_and_openers_send_the_text(make_engine, module, store):
    learner = Learner(make_engine())
    await enter_lab(learner, module)
    lab = module.lessons[0].lab
    assert lab.task in learner.text() and lab.greeting in learner.text()
    assert [b.label for b in learner.shown[0].choices] == list(lab.openers)
    await learner.press("say", "1")
    assert replies(learner) and "offline" in learner.text().lower()
    lines = await transcript(store, learner, module)
    assert lines[0] == {"role": "learner", "text": lab.openers[1]}
    assert lines[1]["role"] == "advisor"


async def test_lab_completes_after_three_substantive_exchanges_only(make_engine, module, store):
    learner = Learner(make_engine())
    await enter_lab(learner, module)
    await learner.say("ok")
    assert "did not count" in learner.text() and "Exchanges: 0 of 3" in learner.text()
    await learner.say(QUESTION)
    await learner.say(QUESTION)  # a repeat does not count either
    assert "Exchanges: 1 of 3" in learner.text()
    await learner.say("Which tools matter most on the first day in the job?")
    await learner.say("How much time goes to research compared with systems work?")
    assert "Lab complete" in learner.text()
    assert any(b.action == "open" for m in learner.shown for b in m.buttons)  # move on
    await learner.command("progress")
    assert "Labs done: 1/4" in learner.text()


async def test_oversized_and_empty_messages_are_refused_without_change(make_engine, module, store):
    learner = Learner(make_engine())
    await enter_lab(learner, module)
    record = await store.load(learner.actor)
    await learner.say("word " * 399 + "words")
    assert "2,000 characters; the limit is 1,500" in learner.notices()[0]
    await learner.say("   ")
    assert learner.notices()
    assert await store.load(learner.actor) == record


async def test_conversation_stops_at_the_exchange_cap(make_engine, module):
    learner = Learner(make_engine(config=EngineConfig(limits=Limits(lab_exchange_cap=4))))
    await enter_lab(learner, module)
    for n in range(4):
        await learner.say(f"Question number {n}: what should I learn about serving models?")
    await learner.say("One more question about monitoring models in production please")
    assert "limit of 4 exchanges" in learner.notices()[0]


class GatedAdvisor(Advisor):
    """Answers only when the test opens the gate, so a reply can be 'in progress'."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.calls = 0

    async def reply(self, request: AdvisorRequest, on_delta=None) -> AdvisorReplyText:
        self.calls += 1
        if on_delta:
            await on_delta("Let me think")
        await self.gate.wait()
        return AdvisorReplyText(text=f"Reply to: {request.message}", offline=True)


async def test_a_message_typed_while_a_reply_streams_is_answered_next(make_engine, module, store):
    advisor = GatedAdvisor()
    learner = Learner(make_engine(advisor))
    await enter_lab(learner, module)
    first = asyncio.create_task(learner.say(QUESTION))
    while advisor.calls == 0:
        await asyncio.sleep(0.01)
    second = Learner(learner.engine)
    follow_up = "And what about the salary range for this role in the market?"
    await second.say(follow_up)
    assert "will take this one next" in second.notices()[0]
    advisor.gate.set()
    await first
    lines = await transcript(store, learner, module)
    assert [line["text"] for line in lines] == [
        QUESTION,
        f"Reply to: {QUESTION}",
        follow_up,
        f"Reply to: {follow_up}",
    ]
    assert [r.text for r in replies(learner)] == [f"Reply to: {QUESTION}", f"Reply to: {follow_up}"]
    assert learner.outbox.drafts and learner.outbox.drafts[0][1].text == "Let me think"


async def test_messages_beyond_the_queue_are_answered_not_dropped_silently(make_engine, module, store):
    from bot.flows.lab import QUEUE_KEPT

    advisor = GatedAdvisor()
    learner = Learner(make_engine(advisor))
    await enter_lab(learner, module)
    first = asyncio.create_task(learner.say(QUESTION))
    while advisor.calls == 0:
        await asyncio.sleep(0.01)
    other = Learner(learner.engine)
    for i in range(QUEUE_KEPT):
        await other.say(f"Follow-up question number {i} about the engineer's week?")
        assert "will take this one next" in other.notices()[0]
    await other.say("One question too many about the engineer's week?")
    assert "send this one again" in other.notices()[0]
    advisor.gate.set()
    await first
    assert len(await transcript(store, learner, module)) == 2 * (1 + QUEUE_KEPT)


class FailingAdvisor(Advisor):
    def __init__(self, retryable: bool = True) -> None:
        self.retryable = retryable
        self.fail = True

    async def reply(self, request: AdvisorRequest, on_delta=None) -> AdvisorReplyText:
        if self.fail:
            raise AdvisorUnavailable("overloaded", retryable=self.retryable)
        return AdvisorReplyText(text="Here is my answer.", offline=False)


async def test_advisor_failure_keeps_the_message_and_retry_sends_it(make_engine, module, store):
    advisor = FailingAdvisor()
    learner = Learner(make_engine(advisor))
    await enter_lab(learner, module)
    await learner.say(QUESTION)
    assert learner.notices()[0].startswith("The advisor is unavailable right now")
    assert await transcript(store, learner, module) == []  # no half-written turn
    await learner.command("progress")
    assert "Labs done: 0/4" in learner.text()

    advisor.fail = False
    await learner.command("resume")
    await learner.press("retry")
    assert replies(learner)[0].text == "Here is my answer."
    assert [line["text"] for line in await transcript(store, learner, module)] == [
        QUESTION,
        "Here is my answer.",
    ]
    state = json.loads((await store.load(learner.actor)).data)
    assert state["progress"]["labs"][module.lessons[0].lab.id]["exchanges"] == 1


async def test_crash_between_the_two_commits_is_recovered_once(make_engine, module, store):
    hung = GatedAdvisor()
    crashed_engine = make_engine(hung)
    learner = Learner(crashed_engine)
    await enter_lab(learner, module)
    task = asyncio.create_task(learner.say(QUESTION))
    while hung.calls == 0:
        await asyncio.sleep(0.01)
    task.cancel()  # the process dies after the first commit
    await asyncio.gather(task, return_exceptions=True)
    state = json.loads((await store.load(learner.actor)).data)
    assert state["step"]["pending"]["text"] == QUESTION

    restarted = Learner(make_engine())
    await restarted.engine.recover(restarted.actor, restarted.outbox)
    restarted.shown = restarted.outbox.take()
    assert len(replies(restarted)) == 1
    await restarted.engine.recover(restarted.actor, restarted.outbox)  # nothing left to do
    assert not restarted.outbox.take()
    lines = await transcript(store, learner, module)
    assert [line["role"] for line in lines] == ["learner", "advisor"] and lines[0]["text"] == QUESTION


async def test_stale_pending_turn_of_another_instance_is_taken_over_on_next_event(make_engine, module, store):
    now = [1000.0]
    hung = GatedAdvisor()
    learner = Learner(make_engine(hung, clock=lambda: now[0]))
    await enter_lab(learner, module)
    task = asyncio.create_task(learner.say(QUESTION))
    while hung.calls == 0:
        await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    other = Learner(make_engine(clock=lambda: now[0] + 10))
    await other.command("resume")
    assert not replies(other)  # still fresh: its owner may be working on it
    later = Learner(make_engine(clock=lambda: now[0] + 600))
    await later.command("resume")
    assert len(replies(later)) == 1
    assert len(await transcript(store, learner, module)) == 2


async def test_openers_stay_usable_but_count_once_so_three_presses_do_not_complete(
    make_engine, module, store
):
    learner = Learner(make_engine())
    await enter_lab(learner, module)
    intro = learner.shown
    lab = module.lessons[0].lab
    for index in range(3):
        learner.shown = intro  # the learner scrolls back up to the lab card
        await learner.press("say", str(index))
        assert replies(learner) and not learner.notices()
    assert "Lab complete" not in learner.text()
    assert "Exchanges: 1 of 3" in learner.text() and "openers count once" in learner.text()
    lines = [json.loads(x) for x in await store.transcript(learner.actor, lab.id, 10)]
    assert [line["text"] for line in lines if line["role"] == "learner"] == list(lab.openers)
    # Typing an opener word for word is the same as pressing it.
    await learner.say(lab.openers[1].upper())
    assert "Exchanges: 1 of 3" in learner.text()
    await learner.say("Which tools matter most on the first day in the job?")
    await learner.say("How much time goes to research compared with systems work?")
    assert "Lab complete" in learner.text()


async def test_a_pasted_block_of_lines_is_one_message(make_engine, module, store):
    learner = Learner(make_engine())
    await enter_lab(learner, module)
    await learner.say(
        "What does a junior engineer do all week?\nWhich tools matter on day one?\nHow much is research?"
    )
    assert len(replies(learner)) == 1
    assert "Exchanges: 1 of 3" in learner.text() and "Lab complete" not in learner.text()
    assert [line["role"] for line in await transcript(store, learner, module)] == ["learner", "advisor"]


async def test_an_off_subject_message_gets_a_redirect_and_does_not_count(make_engine, module, store):
    learner = Learner(make_engine())
    await enter_lab(learner, module)
    await learner.say("Can you recommend a good pizza place near the train station tonight?")
    assert "outside what this lab is about" in learner.text()
    assert "off the lab's subject" in learner.text() and "Exchanges: 0 of 3" in learner.text()


async def test_the_recap_names_what_the_learner_raised_in_their_own_words(make_engine, module, store):
    learner = Learner(make_engine())
    await enter_lab(learner, module)
    await learner.press("say", "1")  # the tools opener: not the learner's own words
    await learner.say("Is quantization worth the accuracy loss when serving a model?")
    await learner.say("How much are ML engineers paid at startups compared with big tech?")
    recap = learner.text()
    assert "Lab complete" in recap
    assert "you raised Quantization and Salary Context (2024 US Market)" in recap
    assert "Core Technical Skills" not in recap.split("Recap:", 1)[1]


async def test_a_completed_lab_no_longer_says_messages_do_not_count_yet(make_engine, module, store):
    learner = Learner(make_engine())
    await enter_lab(learner, module)
    for text in (QUESTION, "Which tools matter most on the first day?", "How much research is in the job?"):
        await learner.say(text)
    assert "Lab complete" in learner.text()
    await learner.say("ok")
    assert "yet" not in learner.text() and "did not count" not in learner.text()


async def test_the_reply_at_the_exchange_cap_says_it_is_the_last(make_engine, module, store):
    learner = Learner(make_engine(config=EngineConfig(limits=Limits(lab_exchange_cap=3))))
    await enter_lab(learner, module)
    for text in (QUESTION, "Which tools matter most on the first day?"):
        await learner.say(text)
        assert "last exchange" not in learner.text()
    await learner.say("How much research is in the job?")
    assert "That was the last exchange of this lab's conversation (its limit is 3)." in learner.text()
    await learner.say("One more question about model drift, please?")
    assert "reached its limit of 3 exchanges" in learner.text()


async def test_a_lone_surrogate_in_a_message_is_cleaned_not_an_internal_error(make_engine, module, store):
    from bot.engine.engine import INTERNAL_ERROR_NOTICE

    learner = Learner(make_engine())
    await enter_lab(learner, module)
    # What a platform's JSON gives for "\ud83d" with its partner lost (a cut emoji).
    await learner.say("What does an ML engineer deploy first? \ud83d")
    assert INTERNAL_ERROR_NOTICE not in learner.notices()
    lines = await transcript(store, learner, module)
    assert lines[0]["text"] == "What does an ML engineer deploy first? \ufffd"


async def test_the_offline_advisor_introduces_itself_once_per_lab_even_across_visits(
    make_engine, module, store
):
    learner = Learner(make_engine())
    await enter_lab(learner, module)
    await learner.say(QUESTION)
    assert "Offline advisor" in replies(learner)[0].text
    await learner.say("Which tools matter most on the first day in the job?")
    assert "Offline advisor" not in replies(learner)[0].text
    await learner.open(module.lessons[0].id)
    await learner.open(module.lessons[0].lab.id)  # a second visit to the same lab
    await learner.say("How much research is in the job?")
    assert "Offline advisor" not in replies(learner)[0].text


async def test_resume_in_a_lab_shows_the_last_reply_even_if_it_was_never_delivered(
    make_engine, module, store
):
    learner = Learner(make_engine())
    await enter_lab(learner, module)
    await learner.say(QUESTION)
    last_reply = replies(learner)[0].text
    # The process that committed the reply died before posting it: the learner never saw it.
    elsewhere = Learner(make_engine())
    await elsewhere.command("resume")
    shown = [b for m in elsewhere.shown for b in m.blocks if isinstance(b, AdvisorReply)]
    assert shown[-1].text == last_reply
    assert any(m.heading == "Where you left off" for m in elsewhere.shown)
    assert QUESTION in elsewhere.text()
