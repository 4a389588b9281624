"""The Slack app end to end: signed requests into the real Bolt app, the real engine on Redis,
and the real slack-sdk client talking to the fake Web API."""

from __future__ import annotations

import asyncio
import logging
import re
import time

import pytest

from bot.adapters.slack.app import FOREIGN_WORKSPACE, UNKNOWN_BUTTON
from bot.adapters.slack.outbox import DM_FAILED, SENT_TO_DMS
from bot.advisor.base import Advisor, AdvisorReplyText, AdvisorRequest, OnDelta
from bot.domain.events import Actor
from bot.flows.feedback import without_verdict
from bot.storage.redis_store import RedisLearnerStore
from tests.pace import SteppedPace, Timed
from tests.slack.harness import BOT_TOKEN, CHANNEL, ShownButton, SlackHarness, click_body, message_text, sign

T1 = "T1"
ALICE = "UALICE"


def actor(user: str = ALICE, team: str = T1) -> Actor:
    return Actor(platform="slack", tenant=team, user=user)


class SlowAdvisor(Advisor):
    """Streams its reply in `pieces` deltas, `delay` seconds apart, like a model would."""

    def __init__(self, pieces: int = 12, delay: float = 0.05, pace: SteppedPace | None = None) -> None:
        self.pieces = pieces
        self.delay = delay
        self.pace = pace
        """When given, the delays pass on this clock (the one the drafts are throttled by)."""
        self.text = " ".join(f"word{i}" for i in range(60)) + ". What would you like to know next?"

    async def reply(self, request: AdvisorRequest, on_delta: OnDelta | None = None) -> AdvisorReplyText:
        for n in range(1, self.pieces + 1):
            await (self.pace.sleep(self.delay) if self.pace else asyncio.sleep(self.delay))
            if on_delta is not None:
                await on_delta(self.text[: len(self.text) * n // self.pieces])
        return AdvisorReplyText(text=self.text, offline=False)


async def open_first_lab(slack: SlackHarness, user: str = ALICE) -> None:
    await slack.command(user, "start")
    await slack.read_lesson(user)
    lesson = slack.module.lessons[0]
    await slack.click(user, slack.button(user, "menu"))
    await slack.click(user, slack.button(user, "open", lesson.lab.id))
    assert lesson.lab.title in slack.dm_text(user)


# ---- slash commands ------------------------------------------------------------------------


async def test_start_from_a_channel_sends_the_first_lesson_to_the_dm(slack: SlackHarness) -> None:
    response = await slack.command(ALICE, "start")
    assert response.status == 200 and not response.body  # a bare ack: nothing shown in the channel

    messages = slack.dm_messages(ALICE)
    assert [message.text for message in messages][:2] == [
        "Welcome to Module 2 — Technical Roles",
        "Lesson 1 · The Machine Learning Engineer",
    ]
    assert "Building the systems that train" in message_text(messages[1])
    assert [b.label for b in slack.buttons(ALICE)] == ["Continue", "Menu"]
    assert not [c for c in slack.api.of("chat.postMessage") if c.body["channel"] == CHANNEL]

    notes = slack.api.of("response_url")
    assert [(n.body["response_type"], n.body["text"]) for n in notes] == [("ephemeral", SENT_TO_DMS)]
    assert all(call.authorized for call in slack.api.calls if call.method != "response_url")


async def test_start_typed_in_the_dm_needs_no_pointer_to_the_dm(slack: SlackHarness) -> None:
    await slack.command(ALICE, "start", channel=slack.dm_channel(ALICE))
    assert len(slack.dm_messages(ALICE)) == 2
    assert not slack.api.of("response_url")


async def test_help_and_unknown_subcommands_answer_ephemerally(slack: SlackHarness) -> None:
    await slack.command(ALICE, "start")
    posted = len(slack.api.of("chat.postMessage"))
    slack.api.calls.clear()

    for text in ("help", "", "frobnicate"):
        await slack.command(ALICE, text)
    answers = slack.api.of("response_url")
    assert len(answers) == 3
    assert all(
        a.body["response_type"] == "ephemeral" and "How this works" in str(a.body["blocks"]) for a in answers
    )
    assert len(slack.api.of("chat.postMessage")) == 0 and posted == 2


async def test_help_asked_any_other_way_joins_the_conversation(slack: SlackHarness) -> None:
    await slack.command(ALICE, "help")  # a newcomer: enrolled, and help follows the course in the DM
    assert [m.text for m in slack.dm_messages(ALICE)][-1] == "Help"
    assert [n.body["text"] for n in slack.api.of("response_url")] == [SENT_TO_DMS]
    slack.api.calls.clear()

    shown = len(slack.dm_messages(ALICE))
    await slack.dm(ALICE, "help")  # typed in the DM: an ordinary card there, not a private one
    assert [m.text for m in slack.dm_messages(ALICE)][shown:] == ["Help"]
    assert not slack.api.of("chat.postEphemeral") and not slack.api.of("response_url")


async def test_resume_and_progress(slack: SlackHarness) -> None:
    await slack.command(ALICE, "start")
    await slack.command(ALICE, "progress", channel=slack.dm_channel(ALICE))
    assert slack.dm_messages(ALICE)[-1].text.startswith("Your progress")
    await slack.command(ALICE, "resume")
    assert slack.dm_messages(ALICE)[-1].text == "Lesson 1 · The Machine Learning Engineer"


async def test_a_malformed_command_is_answered_and_changes_nothing(
    slack: SlackHarness, store: RedisLearnerStore
) -> None:
    body = "command=%2Ftutor&text=start&team_id=T1&user_id=U%3Aevil&channel_id=C1"
    response = await slack.dispatch(body, "application/x-www-form-urlencoded")
    await slack.settle()
    assert response.status == 200 and "couldn't read" in response.body
    assert not slack.api.of("chat.postMessage")


# ---- buttons -------------------------------------------------------------------------------


async def test_a_whole_quiz_by_button_clicks(slack: SlackHarness) -> None:
    await slack.command(ALICE, "start")
    await slack.read_lesson(ALICE)
    lesson = slack.module.lessons[0]
    assert "Lesson 1 complete" in slack.dm_text(ALICE)
    await slack.click(ALICE, slack.button(ALICE, "open", lesson.quiz.id))

    for n in range(len(lesson.quiz.questions)):
        card = slack.dm_messages(ALICE)[-1]
        question = slack.question_shown(ALICE, lesson.quiz.questions)
        slack.api.calls.clear()
        await slack.answer(ALICE, lesson.quiz.questions, correct=n != 1)

        # The clicked question now shows the answer instead of its buttons (replaced through the
        # click's response_url, which spends none of chat.update's Tier 3 budget) ...
        assert not slack.api.of("chat.update")
        [replaced] = [c for c in slack.api.of("response_url") if c.body.get("replace_original") is True]
        assert slack.api.messages[(card.channel, card.ts)].edits == 1 and replaced.body["blocks"]
        answered = slack.api.messages[(card.channel, card.ts)]
        assert not any(block["type"] == "actions" for block in answered.blocks)
        assert "You chose" in message_text(answered) and question.stem[:40] in message_text(answered)
        # ... and the feedback follows in the DM.
        feedback = question.feedback.correct if n != 1 else question.feedback.incorrect
        assert without_verdict(feedback)[:60] in slack.dm_text(ALICE)

    assert slack.dm_messages(ALICE)[-1].text.endswith("score 2/3")
    assert {b.label for b in slack.buttons(ALICE)} >= {"Retake quiz", "Menu"}


async def test_a_stale_click_gets_an_ephemeral_answer_and_changes_nothing(
    slack: SlackHarness, store: RedisLearnerStore
) -> None:
    await slack.command(ALICE, "start")
    first = slack.button(ALICE, "next")
    await slack.click(ALICE, first)
    record = await store.load(actor())
    shown = len(slack.dm_messages(ALICE))
    slack.api.calls.clear()

    await slack.click(ALICE, first)  # the same Continue again: from an earlier step now

    assert await store.load(actor()) == record
    assert len(slack.dm_messages(ALICE)) == shown
    assert not slack.api.of("chat.postMessage") and not slack.api.of("chat.update")
    # Shown only to the learner, through the click's own hook (no chat.postEphemeral budget spent).
    assert not slack.api.of("chat.postEphemeral")
    [ephemeral] = slack.api.of("response_url")
    assert ephemeral.body["response_type"] == "ephemeral" and ephemeral.body["replace_original"] is False
    assert "earlier step" in str(ephemeral.body["blocks"])


async def test_a_second_click_on_an_answered_question_changes_nothing(
    slack: SlackHarness, store: RedisLearnerStore
) -> None:
    await slack.command(ALICE, "start")
    await slack.read_lesson(ALICE)
    lesson = slack.module.lessons[0]
    await slack.click(ALICE, slack.button(ALICE, "open", lesson.quiz.id))
    question = slack.question_shown(ALICE, lesson.quiz.questions)
    options = [b for b in slack.buttons(ALICE) if b.action == "answer"]
    await slack.click(ALICE, options[0])
    record = await store.load(actor())
    slack.api.calls.clear()

    await slack.click(ALICE, options[1])  # a double click, or a click on an old copy of the card

    assert await store.load(actor()) == record
    assert [(c.method, c.body["response_type"]) for c in slack.api.calls] == [("response_url", "ephemeral")]
    assert question.stem[:40] in message_text(slack.api.messages[(options[0].channel, options[0].ts)])


async def test_a_forged_button_is_answered_politely_and_changes_nothing(
    slack: SlackHarness, store: RedisLearnerStore
) -> None:
    await slack.command(ALICE, "start")
    record = await store.load(actor())
    real = slack.button(ALICE, "next")
    slack.api.calls.clear()
    for value in ("hello", "tb0:next::" + "9" * 30, real.value + "x"):
        forged = ShownButton("Continue", value, "next", "", real.ts, real.channel)
        response = await slack.click(ALICE, forged)
        assert response.status == 200
    assert await store.load(actor()) == record
    assert [(c.method, c.body["response_type"]) for c in slack.api.calls] == [
        ("response_url", "ephemeral")
    ] * 3
    answers = [str(c.body["blocks"]) for c in slack.api.calls]
    # Not ours at all: the adapter answers. Well-formed but not a button we showed: the engine does.
    assert all("I don't recognise that button" in a for a in answers[:2]) and UNKNOWN_BUTTON.startswith(
        "Sorry, I don't"
    )
    assert "earlier step" in answers[2]


# ---- DMs and the lab -----------------------------------------------------------------------


async def test_a_lab_turn_streams_into_one_message_with_throttled_edits(make_slack) -> None:
    interval, step = 0.2, 0.05
    pace = SteppedPace()  # the advisor's deltas and the edit interval pass on one clock
    slack: SlackHarness = make_slack(SlowAdvisor(pieces=12, delay=step, pace=pace), edit_interval_s=interval)
    await open_first_lab(slack)
    before = len(slack.dm_messages(ALICE))
    slack.api.calls.clear()
    outbox = slack.adapter.outbox
    outbox.drafts.pace = pace
    edits = Timed(pace, outbox.api.edit)
    outbox.api.edit = edits  # type: ignore[method-assign]

    # The advisor cannot answer before the test moves the clock: an ack that waited for it never comes.
    response = await asyncio.wait_for(
        slack.dm(ALICE, "What does a junior ML engineer spend most of the week doing?", settle=False), 10
    )
    assert response.status == 200
    assert "word0" not in slack.dm_text(ALICE)  # acknowledged before the advisor said a word
    for _ in range(100):  # 12 deltas 50 ms apart, then the final edit in its slot
        if "Exchanges: 1 of 3" in slack.dm_text(ALICE):
            break
        await edits.idle()
        await pace.advance(step)
    await slack.settle()

    posts = slack.api.of("chat.postMessage")
    assert len(posts) == 1  # one draft message, whose notification says how the reply begins
    assert re.search(r"^[\w ]+: word0 word1 word2 word3 word4 word5\b.*…$", posts[0].body["text"]), posts[
        0
    ].body
    draft_ts = slack.dm_messages(ALICE)[-1].ts
    assert all(c.body["ts"] == draft_ts for c in slack.api.of("chat.update"))
    # 12 deltas over 0.6 s of the stream's time: at most one edit per 0.2 s, the final one included
    assert 2 <= len(edits.started) <= 0.6 / interval + 2, edits.started
    gaps = [b - a for a, b in zip(edits.started, edits.started[1:], strict=False)]
    assert min(gaps) >= interval - 1e-9, edits.started
    final = slack.api.messages[(posts[0].body["channel"], draft_ts)]
    assert "What would you like to know next?" in message_text(final) and "▌" not in message_text(final)
    assert "Exchanges: 1 of 3" in message_text(final)
    assert len(slack.dm_messages(ALICE)) == before + 1


async def test_a_failed_advisor_turn_removes_its_draft(make_slack) -> None:
    class Failing(SlowAdvisor):
        async def reply(self, request: AdvisorRequest, on_delta: OnDelta | None = None) -> AdvisorReplyText:
            from bot.advisor.base import AdvisorUnavailable

            if on_delta is not None:
                await on_delta("Half a thought, about six words and mo")
            await asyncio.sleep(0.05)
            raise AdvisorUnavailable("overloaded")

    slack: SlackHarness = make_slack(Failing())
    await open_first_lab(slack)
    slack.api.calls.clear()
    await slack.dm(ALICE, "What does a junior ML engineer spend most of the week doing?")
    [draft] = slack.api.of("chat.postMessage")
    [delete] = slack.api.of("chat.delete")
    assert delete.body["ts"] == slack.api.messages[(draft.body["channel"], delete.body["ts"])].ts
    assert "Half a thought" not in slack.dm_text(ALICE)
    [failed] = slack.api.of("chat.postEphemeral")  # the engine's notice, with its Try again button
    assert "Try again" in str(failed.body["blocks"])


async def test_a_retried_event_is_handled_once(make_slack) -> None:
    one, other = make_slack(), make_slack()  # two processes sharing Redis
    await one.command(ALICE, "start")
    posted = len(one.api.of("chat.postMessage"))

    first = await one.dm(ALICE, "resume", event_id="EvRETRIED1")
    again = await other.dm(ALICE, "resume", event_id="EvRETRIED1", retry=1)
    third = await one.dm(ALICE, "resume", event_id="EvRETRIED1", retry=2)

    assert first.status == again.status == third.status == 200
    assert len(one.api.of("chat.postMessage")) == posted + 1


async def test_messages_from_bots_and_edits_are_ignored(
    slack: SlackHarness, store: RedisLearnerStore
) -> None:
    from tests.slack.harness import event_body

    for extra in ({"bot_id": "BOTHER"}, {"subtype": "message_changed"}):
        event = {
            "type": "message",
            "channel": "DUALICE",
            "channel_type": "im",
            "user": ALICE,
            "text": "start",
            "ts": "1.0",
            **extra,
        }
        assert (await slack.dispatch(event_body(T1, event), "application/json")).status == 200
    await slack.settle()
    assert await store.load(actor()) is None
    assert not slack.api.of("chat.postMessage")


async def test_dm_notices_are_ephemeral(slack: SlackHarness) -> None:
    await slack.command(ALICE, "start")
    slack.api.calls.clear()
    await slack.dm(ALICE, "hello there")  # not in a lab: the engine answers with a notice
    [note] = slack.api.of("chat.postEphemeral")
    assert "didn't expect a message" in str(note.body["blocks"])
    assert not slack.api.of("chat.postMessage")


# ---- requests that are refused -----------------------------------------------------------------


async def test_bad_or_old_signatures_are_refused_and_change_nothing(
    slack: SlackHarness, store: RedisLearnerStore
) -> None:
    from tests.slack.harness import command_body

    body = command_body(T1, ALICE, "start", response_url=slack.api.response_url("x"))
    forms = "application/x-www-form-urlencoded"
    wrong_secret = sign(body, secret="not-the-secret")
    old = sign(body, timestamp=str(int(time.time()) - 600))
    tampered = sign(body)
    for headers, sent in (
        (wrong_secret, body),
        (old, body),
        (tampered, body.replace("start", "resume")),
        ({}, body),
    ):
        response = await slack.dispatch(sent, forms, headers, signed=False)
        assert response.status == 401
    await slack.settle()
    assert await store.load(actor()) is None
    assert [c.method for c in slack.api.calls] == []


# ---- the Web API misbehaving -------------------------------------------------------------------


async def test_a_429_from_chat_post_message_is_retried(slack: SlackHarness) -> None:
    slack.api.rate_limit_next("chat.postMessage", retry_after=0)
    await slack.command(ALICE, "start")
    posts = slack.api.of("chat.postMessage")
    assert len(posts) == 3 and posts[0].body == posts[1].body  # refused once, then both cards
    assert len(slack.dm_messages(ALICE)) == 2


async def test_an_undeliverable_dm_is_logged_without_text_or_tokens(slack: SlackHarness, caplog) -> None:
    slack.api.fail_next("chat.postMessage", "is_archived", times=5)
    with caplog.at_level(logging.DEBUG):
        await slack.command(ALICE, "start")
    delivery = [r.getMessage() for r in caplog.records if "not delivered" in r.getMessage()]
    assert delivery == [
        f"slack: DM to slack:T1:{ALICE} not delivered at step "
        "'Welcome to Module 2 — Technical Roles': is_archived"
    ]
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert BOT_TOKEN not in everything and "Building the systems" not in everything
    assert len(slack.api.of("chat.postMessage")) == 1  # the rest of the batch was not attempted
    [told] = slack.api.of("response_url")  # nothing reached the DM: say so where the command was typed
    assert told.body["text"] == DM_FAILED


# ---- workspaces --------------------------------------------------------------------------------


async def test_progress_typed_in_a_channel_is_answered_there_privately(slack: SlackHarness) -> None:
    await slack.command(ALICE, "start")
    in_dm = len(slack.dm_messages(ALICE))
    answers_before = len(slack.api.of("response_url"))
    await slack.command(ALICE, "progress")  # typed in #general
    answers = slack.api.of("response_url")[answers_before:]
    assert answers and all(a.body["response_type"] == "ephemeral" for a in answers)
    assert "Your progress" in answers[0].body["text"]
    assert not any(SENT_TO_DMS in a.body.get("text", "") for a in answers)
    assert len(slack.dm_messages(ALICE)) == in_dm  # nothing added to the DM


async def test_single_workspace_mode_refuses_another_workspace(
    slack: SlackHarness, store: RedisLearnerStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    response = await slack.command(ALICE, "start", team="T2")
    assert response.status == 200 and response.body == FOREIGN_WORKSPACE
    await slack.dm(ALICE, "hello", team="T2")
    assert slack.api.of("chat.postMessage") == [] and slack.api.of("conversations.open") == []
    assert await store.load(actor(ALICE, "T2")) is None
    assert "request from workspace T2 refused" in caplog.text
    # Its own workspace is served as ever.
    await slack.command(ALICE, "start", team="T1")
    assert "Lesson 1" in slack.dm_text(ALICE)


# ---- App Home ----------------------------------------------------------------------------------


async def test_app_home_for_a_newcomer_enrols_no_one(slack: SlackHarness, store: RedisLearnerStore) -> None:
    await slack.home_opened(ALICE)
    [publish] = slack.api.of("views.publish")
    assert publish.body["user_id"] == ALICE
    assert "Start" in str(publish.body["view"]["blocks"])
    assert await store.load(actor()) is None


async def test_app_home_shows_progress_and_resumes(slack: SlackHarness) -> None:
    await slack.command(ALICE, "start")
    await slack.home_opened(ALICE)
    [publish] = slack.api.of("views.publish")
    view = publish.body["view"]
    assert view["type"] == "home"
    strip = [b for b in view["blocks"] if b["type"] == "context" and "L1" in str(b)]
    assert strip, view["blocks"]
    buttons = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    resume = next(e for e in buttons if e["text"]["text"] == "Resume")

    shown = len(slack.dm_messages(ALICE))
    body = click_body(
        T1, ALICE, resume["value"], channel="", ts=None, response_url=None, container_type="view"
    )
    assert (await slack.dispatch(body, "application/x-www-form-urlencoded")).status == 200
    await slack.settle()
    assert slack.dm_messages(ALICE)[-1].text == "Lesson 1 · The Machine Learning Engineer"
    assert len(slack.dm_messages(ALICE)) == shown + 1
    assert len(slack.api.of("views.publish")) == 2  # refreshed after the click


async def test_app_home_start_button(slack: SlackHarness) -> None:
    from bot.adapters.slack.translate import HOME_START_ACTION

    body = click_body(
        T1, ALICE, HOME_START_ACTION, channel="", ts=None, response_url=None, container_type="view"
    )
    assert (await slack.dispatch(body, "application/x-www-form-urlencoded")).status == 200
    await slack.settle()
    assert slack.dm_messages(ALICE)[0].text.startswith("Welcome")


async def test_a_learner_who_cannot_be_messaged_is_told_where_they_typed(slack: SlackHarness) -> None:
    slack.api.fail_next("conversations.open", "cannot_dm_bot", times=5)
    await slack.command(ALICE, "start")
    assert not slack.api.of("chat.postMessage")
    [told] = slack.api.of("response_url")
    assert told.body["response_type"] == "ephemeral" and told.body["text"] == DM_FAILED


async def test_the_home_tab_takes_only_the_progress_card() -> None:
    from bot.adapters.slack.app import _HomeOutbox
    from bot.domain.messages import Message, Paragraph, ReplyProgress
    from bot.domain.outbox import CollectingOutbox

    dm = CollectingOutbox()
    home = _HomeOutbox(dm)  # type: ignore[arg-type]
    note = Message(blocks=(Paragraph(text="set aside"),), notice=True)
    progress = Message(heading="Your progress", blocks=(Paragraph(text="…"),), progress_card=True)
    recovered = Message(blocks=(Paragraph(text="a lab reply finished on the way"),))
    await home.send(actor(), [note])
    await home.send(actor(), [note, progress])
    await home.progress(actor(), ReplyProgress(advisor="Ada", text="a lab", turn=2))
    await home.send(actor(), [recovered])
    assert home.cards == [progress]
    assert [m for _, m in dm.sent] == [note, recovered] and len(dm.drafts) == 1
