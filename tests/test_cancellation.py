"""Background loops stop when told to, even when Python 3.11 lost the request on the way."""

from __future__ import annotations

import asyncio

import pytest

from bot import cancellation
from tests.lost_cancel import lose_a_cancel


async def test_a_loop_whose_stop_request_was_lost_stops_at_its_next_pause() -> None:
    rounds = 0

    async def loop() -> None:
        nonlocal rounds
        while True:
            rounds += 1
            if rounds == 1:
                await lose_a_cancel()  # stands in for a Redis write told to stop as it completes
            await cancellation.sleep(0.01)

    task = asyncio.create_task(loop())
    done, _ = await asyncio.wait({task}, timeout=2)
    assert task in done and task.cancelled()
    assert rounds == 1


async def test_stopping_a_task_waits_for_its_end() -> None:
    ended = asyncio.Event()

    async def tidy() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            await asyncio.sleep(0.05)  # its own clean-up, which stop() waits for
            ended.set()

    task = asyncio.create_task(tidy())
    await asyncio.sleep(0)
    await cancellation.stop(task)
    assert ended.is_set() and task.cancelled()


async def test_stopping_a_task_keeps_a_cancel_of_the_one_that_waits() -> None:
    async def slow_to_end() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            await asyncio.sleep(0.2)

    inner = asyncio.create_task(slow_to_end())
    await asyncio.sleep(0)
    outer = asyncio.create_task(cancellation.stop(inner))
    await asyncio.sleep(0.05)
    outer.cancel()  # a shutdown of the waiter itself, while the task it stops is ending
    with pytest.raises(asyncio.CancelledError):
        await outer
    await asyncio.wait({inner})


async def test_a_stopped_task_s_own_failure_is_raised() -> None:
    async def fails_on_stop() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            raise RuntimeError("clean-up failed")

    task = asyncio.create_task(fails_on_stop())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="clean-up failed"):
        await cancellation.stop(task)
