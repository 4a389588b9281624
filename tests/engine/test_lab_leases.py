"""Lab turns around crashes: a live stream keeps its lease, a dead one is taken over promptly.

Durations are scaled down (a 0.3 s lease renewed every 0.1 s stands for 15 s renewed every 5 s),
so a "75-second" stream here lasts a few seconds.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

from bot.advisor.base import Advisor, AdvisorReplyText, AdvisorRequest
from bot.domain.events import Actor
from bot.domain.outbox import CollectingOutbox, Outbox
from bot.engine.engine import EngineConfig
from tests.engine.driver import Learner
from tests.engine.test_lab import QUESTION, GatedAdvisor, enter_lab, replies

FAST = EngineConfig(lease_s=0.3, renew_every_s=0.1)


class SlowAdvisor(Advisor):
    """Streams for `seconds`, a delta every 0.05 s, then answers."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.calls = 0

    async def reply(self, request: AdvisorRequest, on_delta=None) -> AdvisorReplyText:
        self.calls += 1
        started = time.monotonic()
        while time.monotonic() - started < self.seconds:
            if on_delta:
                await on_delta("still writing")
            await asyncio.sleep(0.05)
        return AdvisorReplyText(text=f"Slow reply to: {request.message}", offline=True)


class CountingAdvisor(Advisor):
    def __init__(self) -> None:
        self.calls = 0

    async def reply(self, request: AdvisorRequest, on_delta=None) -> AdvisorReplyText:
        self.calls += 1
        return AdvisorReplyText(text=f"Taken-over reply to: {request.message}", offline=True)


def deliver_to(
    outbox: CollectingOutbox,
) -> Callable[[Actor, Callable[[Outbox], Awaitable[None]]], Awaitable[None]]:
    async def deliver(actor: Actor, call: Callable[[Outbox], Awaitable[None]]) -> None:
        await call(outbox)

    return deliver


async def _transcript(store, learner: Learner, module) -> list[dict]:
    return [json.loads(x) for x in await store.transcript(learner.actor, module.lessons[0].lab.id, 100)]


async def test_a_live_slow_stream_is_never_taken_over(make_engine, module, store):
    slow = SlowAdvisor(seconds=2.5)  # more than eight leases long
    other_advisor = CountingAdvisor()
    learner = Learner(make_engine(slow, FAST))
    other = make_engine(other_advisor, FAST)  # a second process, busy with the same learner
    await enter_lab(learner, module)
    streaming = asyncio.create_task(learner.say(QUESTION))
    elsewhere = Learner(other)
    while not streaming.done():
        await asyncio.sleep(0.2)
        await elsewhere.command("resume")
        assert await other.sweep(deliver_to(CollectingOutbox())) == 0
    await streaming
    assert other_advisor.calls == 0 and slow.calls == 1
    assert [r.text for r in replies(learner)] == [f"Slow reply to: {QUESTION}"]
    assert len(await _transcript(store, learner, module)) == 2
    assert await store.open_turns() == []


async def die_mid_stream(make_engine, module) -> Learner:
    """A learner whose lab reply was being streamed by a process that died: an open turn."""
    hung = GatedAdvisor()
    learner = Learner(make_engine(hung, FAST))
    await enter_lab(learner, module)
    task = asyncio.create_task(learner.say(QUESTION))
    while hung.calls == 0:
        await asyncio.sleep(0.01)
    task.cancel()  # the process dies mid-stream: nobody renews the lease any more
    await asyncio.gather(task, return_exceptions=True)
    return learner


async def test_a_dead_stream_is_taken_over_within_seconds(make_engine, module, store):
    learner = await die_mid_stream(make_engine, module)
    died = time.monotonic()

    survivor_advisor = CountingAdvisor()
    survivor = make_engine(survivor_advisor, FAST)
    delivered = CollectingOutbox()
    while not await survivor.sweep(deliver_to(delivered)):
        assert time.monotonic() - died < 3, "the dead process's turn was not taken over"
        await asyncio.sleep(0.05)

    assert survivor_advisor.calls == 1
    shown = [b.text for _, m in delivered.sent for b in m.blocks if getattr(b, "turn", 0)]
    assert shown == [f"Taken-over reply to: {QUESTION}"]
    assert len(await _transcript(store, learner, module)) == 2
    assert await store.open_turns() == []


async def test_at_start_up_an_instance_takes_over_its_own_turns_at_once(make_engine, module, store):
    long_lease = EngineConfig(lease_s=600, renew_every_s=200)
    hung = GatedAdvisor()
    learner = Learner(make_engine(hung, long_lease, instance="bot-1"))
    await enter_lab(learner, module)
    task = asyncio.create_task(learner.say(QUESTION))
    while hung.calls == 0:
        await asyncio.sleep(0.01)
    task.cancel()  # kill -9 of bot-1, whose lease has ten minutes to run
    await asyncio.gather(task, return_exceptions=True)

    stranger = make_engine(CountingAdvisor(), long_lease, instance="bot-2")
    assert await stranger.sweep(deliver_to(CollectingOutbox()), startup=True) == 0  # not its turn

    restarted_advisor = CountingAdvisor()
    restarted = make_engine(restarted_advisor, long_lease, instance="bot-1")
    delivered = CollectingOutbox()
    assert await restarted.sweep(deliver_to(delivered), startup=True) == 1
    assert restarted_advisor.calls == 1
    assert len(await _transcript(store, learner, module)) == 2


async def test_a_message_typed_into_a_dead_turn_is_kept_and_answered(make_engine, module, store):
    hung = GatedAdvisor()
    learner = Learner(make_engine(hung, FAST))
    await enter_lab(learner, module)
    task = asyncio.create_task(learner.say(QUESTION))
    while hung.calls == 0:
        await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    survivor = Learner(make_engine(CountingAdvisor(), FAST))
    follow_up = "Did you get my question about the engineer's week?"
    await survivor.say(follow_up)  # inside the dead owner's lease: kept for later
    assert "will take this one next" in survivor.notices()[0]
    await asyncio.sleep(0.4)  # the lease runs out
    await survivor.say("Hello? Is the advisor still there for this lab?")
    texts = [r.text for r in replies(survivor)]
    assert texts[:2] == [f"Taken-over reply to: {QUESTION}", f"Taken-over reply to: {follow_up}"]


async def test_a_sweep_loop_told_to_stop_stops_even_if_python_lost_the_request(make_engine, module, store):
    from bot.adapters.recovery import keep_recovering
    from tests.lost_cancel import lose_a_cancel

    await die_mid_stream(make_engine, module)
    handed: list[Actor] = []

    async def deliver(actor: Actor, call: Callable[[Outbox], Awaitable[None]]) -> None:
        handed.append(actor)
        await lose_a_cancel()  # the process is stopped just as a Redis write of the sweep ends

    sweeping = asyncio.create_task(
        keep_recovering(make_engine(CountingAdvisor(), FAST), deliver, interval_s=0.05)
    )
    done, _ = await asyncio.wait({sweeping}, timeout=3)
    assert handed, "the sweep never found the open turn"
    assert sweeping in done and sweeping.cancelled(), "a stopped process kept sweeping"
