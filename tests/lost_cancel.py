"""What Python 3.11's `asyncio.wait_for` does to a cancel that comes as its work finishes.

redis-py wraps each socket write in `wait_for`; on 3.11 a cancel of the writing task in the
same loop turn as the write completing is lost (CPython gh-86296). `lose_a_cancel` makes that
moment happen on purpose: the running task is cancelled just as what it waits for finishes.
"""

from __future__ import annotations

import asyncio


async def lose_a_cancel() -> None:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    written = loop.create_future()

    def finish_and_cancel() -> None:
        written.set_result(None)
        task.cancel()

    loop.call_soon(finish_and_cancel)
    await asyncio.wait_for(written, 5)  # on 3.11 this returns: the cancel is gone
