"""SlackOutbox on its own, against the fake Web API: DMs, streaming, ephemeral routing, the worker."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.cards import CardMemory
from bot.adapters.platform import Pressed
from bot.adapters.slack.app import retry_handlers
from bot.adapters.slack.outbox import Origin, SlackOutbox
from bot.adapters.work import Worker
from bot.domain.events import Actor
from bot.domain.messages import AdvisorReply, Button, DraftPlace, Message, Paragraph, ReplyProgress
from bot.storage.keys import KeyBuilder
from tests.fakes.slack_api import FakeSlackApi
from tests.pace import SteppedPace, Timed, settle
from tests.slack.harness import BOT_TOKEN, message_text

ADA = Actor(platform="slack", tenant="T1", user="UADA")
DM = "DUADA"


@pytest.fixture
async def client(slack_api: FakeSlackApi) -> AsyncIterator[AsyncWebClient]:
    yield AsyncWebClient(token=BOT_TOKEN, base_url=slack_api.api_url, retry_handlers=retry_handlers())


@pytest.fixture
def cards(redis: aioredis.Redis) -> CardMemory:
    return CardMemory(redis, KeyBuilder("test"))


def card(text: str = "Hello", **fields: object) -> Message:
    return Message(heading="A card", blocks=(Paragraph(text=text),), **fields)  # type: ignore[arg-type]


def question() -> Message:
    return Message(
        heading="Quiz · 1/3",
        blocks=(Paragraph(text="**Which one?**"),),
        choices=(
            Button(label="This one", action="answer", arg="a", token="5"),
            Button(label="That one", action="answer", arg="b", token="5"),
        ),
        actions=(Button(label="Menu", action="menu"),),
        locks_on_choice=True,
    )


async def test_the_dm_is_opened_once_per_learner(client: AsyncWebClient, slack_api: FakeSlackApi) -> None:
    outbox = SlackOutbox(client)
    await outbox.send(ADA, [card("one"), card("two")])
    await outbox.send(ADA, [card("three")])
    other_workspace = Actor(platform="slack", tenant="T2", user="UADA")
    await outbox.send(other_workspace, [card("four")])
    assert len(slack_api.of("conversations.open")) == 2
    assert [message_text(m).split("\n")[-1] for m in slack_api.channel_messages(DM)] == [
        "one",
        "two",
        "three",
        "four",
    ]


async def test_a_dm_seen_in_an_event_needs_no_conversations_open(
    client: AsyncWebClient, slack_api: FakeSlackApi
) -> None:
    outbox = SlackOutbox(client)
    outbox.remember_dm(ADA, "DKNOWN")
    await outbox.send(ADA, [card()])
    assert not slack_api.of("conversations.open")
    assert slack_api.of("chat.postMessage")[0].body["channel"] == "DKNOWN"


async def test_streaming_edits_one_message_at_most_once_per_interval(
    client: AsyncWebClient, slack_api: FakeSlackApi
) -> None:
    interval, step = 0.15, 0.05
    pace = SteppedPace()
    outbox = SlackOutbox(client, edit_interval_s=interval)
    outbox.drafts.pace = pace
    posts, edits = Timed(pace, outbox.api.post), Timed(pace, outbox.api.edit)
    outbox.api.post, outbox.api.edit = posts, edits  # type: ignore[method-assign]
    text = "".join(f"part {i}. " for i in range(40))
    for i in range(1, 41):  # a delta every 50 ms of the stream's own time, 2 s in all
        await outbox.progress(ADA, ReplyProgress(advisor="Ada", text=text[: i * len(text) // 40], turn=3))
        await settle()
        await posts.idle()
        await edits.idle()
        await pace.advance(step)
    drafted = len(edits.started)
    sending = asyncio.create_task(
        outbox.send(ADA, [Message(blocks=(AdvisorReply(advisor="Ada", text=text, turn=3),))])
    )
    while not sending.done():  # the final edit waits for its slot, on the same clock
        await edits.idle()
        await pace.advance(step)
    await sending

    assert len(posts.started) == 1
    moments = posts.started + edits.started
    assert all(b - a >= interval - 1e-9 for a, b in zip(moments, moments[1:], strict=False)), moments
    # 2 s of deltas at one edit per 0.15 s: every slot used, none more (rounding of the steps)
    assert 2.0 / 0.15 - 2 <= drafted <= 2.0 / 0.15 + 1, moments
    assert all(e.body["ts"] == slack_api.channel_messages(DM)[0].ts for e in slack_api.of("chat.update"))
    [shown] = slack_api.channel_messages(DM)
    assert "part 39." in message_text(shown) and "▌" not in message_text(shown)


async def test_progress_never_waits_for_slack(client: AsyncWebClient, slack_api: FakeSlackApi) -> None:
    outbox = SlackOutbox(client, edit_interval_s=10)
    loop = asyncio.get_running_loop()
    await outbox.progress(ADA, ReplyProgress(advisor="Ada", text="a", turn=1))
    started = loop.time()
    for n in range(50):
        await outbox.progress(ADA, ReplyProgress(advisor="Ada", text="a" * (n + 2), turn=1))
    assert loop.time() - started < 0.5  # edits are due only every 10 s, and none is awaited here
    await outbox.at(Origin()).close()  # an outbox that did not stream this turn leaves it alone
    await outbox.abandon_stream(ADA, 1)


async def test_a_draft_whose_reply_never_comes_is_removed(
    client: AsyncWebClient, slack_api: FakeSlackApi
) -> None:
    outbox = SlackOutbox(client)
    event = outbox.at(Origin(channel=DM, in_dm=True))
    await event.progress(
        ADA, ReplyProgress(advisor="Ada", text="Thinking about what a team needs most", turn=2)
    )
    await slack_api.wait_for(lambda: len(slack_api.channel_messages(DM)) == 1)
    await event.close()
    [delete] = slack_api.of("chat.delete")
    assert slack_api.channel_messages(DM) == []

    # Closed before the draft was even posted: nothing is posted later, nothing to remove.
    event = outbox.at(Origin(channel=DM, in_dm=True))
    await event.progress(
        ADA, ReplyProgress(advisor="Ada", text="Thinking about what a team needs most", turn=3)
    )
    await event.close()
    await asyncio.sleep(0.05)
    assert len(slack_api.of("chat.postMessage")) == 1 and len(slack_api.of("chat.delete")) == 1


async def test_a_first_draft_waits_for_words_enough_to_notify(
    client: AsyncWebClient, slack_api: FakeSlackApi
) -> None:
    outbox = SlackOutbox(client, edit_interval_s=0.01)
    await outbox.progress(ADA, ReplyProgress(advisor="Ada", text="Hi, wel", turn=5))
    await asyncio.sleep(0.05)
    assert slack_api.of("chat.postMessage") == []  # a notification saying "Hi" says nothing
    await outbox.progress(
        ADA, ReplyProgress(advisor="Ada", text="Hi, welcome to the lab on ML roles", turn=5)
    )
    await slack_api.wait_for(lambda: len(slack_api.of("chat.postMessage")) == 1)
    assert slack_api.of("chat.postMessage")[0].body["text"] == "Ada: Hi, welcome to the lab on ML…"
    await outbox.abandon_stream(ADA, 5)


async def test_the_final_reply_is_posted_when_the_draft_could_not_be(
    client: AsyncWebClient, slack_api: FakeSlackApi
) -> None:
    outbox = SlackOutbox(client)
    slack_api.fail_next("chat.postMessage", "msg_too_long")
    await outbox.progress(
        ADA, ReplyProgress(advisor="Ada", text="Hi, here is a first thought for you", turn=4)
    )
    await slack_api.wait_for(lambda: len(slack_api.of("chat.postMessage")) == 1)  # the refused draft
    await outbox.send(ADA, [Message(blocks=(AdvisorReply(advisor="Ada", text="Hi there", turn=4),))])
    [shown] = slack_api.channel_messages(DM)
    assert "Hi there" in message_text(shown)
    assert not slack_api.of("chat.update")


async def test_notices_go_where_the_learner_acted(client: AsyncWebClient, slack_api: FakeSlackApi) -> None:
    outbox = SlackOutbox(client)
    hook = slack_api.response_url("h1")
    note = card("Only for you", notice=True)

    await outbox.at(Origin(channel=DM, in_dm=True)).send(ADA, [note])  # a click in the DM
    await outbox.at(Origin(channel="CTEAM", response_url=hook)).send(ADA, [note])  # a command in a channel
    await outbox.at(Origin()).send(ADA, [note])  # no origin: the DM, like any card

    [ephemeral] = slack_api.of("chat.postEphemeral")
    assert (ephemeral.body["channel"], ephemeral.body["user"]) == (DM, "UADA")
    [hooked] = slack_api.of("response_url")
    assert hooked.body["response_type"] == "ephemeral" and hooked.body["replace_original"] is False
    assert len(slack_api.channel_messages(DM)) == 1


async def test_help_is_entirely_ephemeral(client: AsyncWebClient, slack_api: FakeSlackApi) -> None:
    outbox = SlackOutbox(client)
    event = outbox.at(Origin(channel="CTEAM", response_url=slack_api.response_url("help")))
    await event.send(ADA, [card("How this works", private=True), card("More", private=True)])
    assert len(slack_api.of("response_url")) == 2
    assert not slack_api.of("chat.postMessage") and not event.delivered_to_dm


async def test_an_answered_question_loses_its_buttons(
    client: AsyncWebClient, slack_api: FakeSlackApi, cards: CardMemory
) -> None:
    outbox = SlackOutbox(client, cards)
    await outbox.send(ADA, [question()])
    [posted] = slack_api.channel_messages(DM)
    assert await cards.recall(ADA, DM, posted.ts) == question()

    await outbox.at(Origin(channel=DM, in_dm=True, pressed=Pressed(DM, posted.ts, 1))).send(
        ADA, [card("Correct!")]
    )
    answered = slack_api.messages[(DM, posted.ts)]
    assert not [b for b in answered.blocks if b["type"] == "actions"]
    assert "You chose That one" in message_text(answered)
    assert [m.method for m in slack_api.calls][-2:] == [
        "chat.update",
        "chat.postMessage",
    ]  # edit first, then the reply


async def test_a_notice_leaves_the_clicked_question_alone(
    client: AsyncWebClient, slack_api: FakeSlackApi, cards: CardMemory
) -> None:
    outbox = SlackOutbox(client, cards)
    await outbox.send(ADA, [question()])
    [posted] = slack_api.channel_messages(DM)
    origin = Origin(channel=DM, in_dm=True, pressed=Pressed(DM, posted.ts, 0))
    await outbox.at(origin).send(ADA, [card("That button is from an earlier step", notice=True)])
    assert not slack_api.of("chat.update")
    # A question this deployment never posted (or posted over a week ago) is left as it is.
    await outbox.at(Origin(channel=DM, in_dm=True, pressed=Pressed(DM, "1.000001", 0))).send(ADA, [card()])
    assert not slack_api.of("chat.update")


async def test_a_card_over_fifty_blocks_is_split_and_its_last_part_remembered(
    client: AsyncWebClient, slack_api: FakeSlackApi, cards: CardMemory
) -> None:
    outbox = SlackOutbox(client, cards)
    long = question().replaced(blocks=tuple(Paragraph(text=f"Paragraph {i}") for i in range(70)))
    await outbox.send(ADA, [long])
    parts = slack_api.channel_messages(DM)
    assert len(parts) == 2 and all(len(p.blocks) <= 50 for p in parts)
    assert await cards.recall(ADA, DM, parts[0].ts) is None
    assert await cards.recall(ADA, DM, parts[1].ts) == long


async def test_a_refused_conversation_is_logged_without_text(
    client: AsyncWebClient, slack_api: FakeSlackApi, caplog
) -> None:
    outbox = SlackOutbox(client)
    slack_api.fail_next("conversations.open", "cannot_dm_bot")
    with caplog.at_level(logging.INFO):
        await outbox.send(ADA, [card("Secret lesson words")])
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "slack:T1:UADA" in logged and "cannot_dm_bot" in logged and "'A card'" in logged
    assert "Secret lesson words" not in logged and BOT_TOKEN not in logged


async def test_rate_limited_edits_are_retried(
    client: AsyncWebClient, slack_api: FakeSlackApi, cards: CardMemory
) -> None:
    outbox = SlackOutbox(client, cards)
    await outbox.send(ADA, [question()])
    [posted] = slack_api.channel_messages(DM)
    slack_api.rate_limit_next("chat.update", retry_after=0)
    await outbox.at(Origin(channel=DM, in_dm=True, pressed=Pressed(DM, posted.ts, 0))).send(ADA, [card()])
    assert len(slack_api.of("chat.update")) == 2
    assert "You chose This one" in message_text(slack_api.messages[(DM, posted.ts)])


async def test_the_worker_keeps_and_drains_its_work_and_logs_failures(caplog) -> None:
    worker = Worker()
    done: list[str] = []

    async def later(name: str) -> None:
        await asyncio.sleep(0.05)
        done.append(name)
        if name == "first":
            worker.submit("slack:T1:U1", lambda: later("nested"))

    async def broken() -> None:
        raise RuntimeError("boom")

    worker.submit("slack:T1:U1", lambda: later("first"))
    worker.submit("slack:T1:U2", broken, what="click")
    with caplog.at_level(logging.ERROR):
        assert await worker.drain(timeout=5)
    assert done == ["first", "nested"] and worker.pending == 0
    assert any("click for slack:T1:U2 failed" in r.getMessage() for r in caplog.records)

    worker.submit("slack:T1:U3", lambda: asyncio.sleep(1))
    assert not await worker.drain(timeout=0.05)
    assert await worker.drain(timeout=5)


async def test_a_turn_taken_over_goes_on_in_the_draft_left_or_anew_when_it_is_gone(
    client: AsyncWebClient, slack_api: FakeSlackApi
) -> None:
    left = SlackOutbox(client, edit_interval_s=0.01)
    await left.progress(
        ADA,
        ReplyProgress(advisor="Ada", text="Half of a first reply, written before the process died", turn=2),
    )
    await slack_api.wait_for(lambda: len(slack_api.of("chat.postMessage")) == 1)
    [draft] = slack_api.channel_messages(DM)
    place = DraftPlace(channel=DM, message_id=draft.ts)

    taking_over = SlackOutbox(client, edit_interval_s=0.01)
    said = await taking_over.progress(ADA, ReplyProgress(advisor="Ada", text="", turn=2, draft=place))
    assert said == place and not slack_api.of("chat.update")  # nothing shown over it yet
    await taking_over.send(
        ADA, [Message(blocks=(AdvisorReply(advisor="Ada", text="The whole reply.", turn=2),))]
    )
    [shown] = slack_api.channel_messages(DM)
    assert shown.ts == draft.ts and message_text(shown).endswith("The whole reply.")

    await client.chat_delete(channel=DM, ts=draft.ts)  # the learner removed it meanwhile
    again = SlackOutbox(client, edit_interval_s=0.01)
    await again.progress(ADA, ReplyProgress(advisor="Ada", text="", turn=2, draft=place))
    new_start = ReplyProgress(
        advisor="Ada", text="A new start of the reply, written by the process that took over", turn=2
    )
    moved = None
    for _ in range(500):  # until the new draft's post has answered
        moved = await again.progress(ADA, new_start)
        if moved not in (None, place):
            break
        await asyncio.sleep(0.01)
    [posted] = slack_api.channel_messages(DM)
    assert moved == DraftPlace(channel=DM, message_id=posted.ts)  # where the engine keeps it now
    await again.send(ADA, [Message(blocks=(AdvisorReply(advisor="Ada", text="Said again.", turn=2),))])
    [shown] = slack_api.channel_messages(DM)
    assert shown.ts == posted.ts != draft.ts and message_text(shown).endswith("Said again.")
