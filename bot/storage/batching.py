"""One Lua script's calls, sent together: every call made in the same event-loop turn goes out in
one pipeline (automatic pipelining).

With many learners' events in flight, several commits are usually ready at the same moment. Each
is still its own EVALSHA, atomic and guarded as before, and each caller still gets its own reply
or error; they merely share one write to the socket and one wait, instead of one pool checkout,
send and wait each. A call that finds no company costs a plain single call. On a Redis Cluster
the client's pipeline sends each node its share, all nodes at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from bot.storage.client import AsyncRedis


class ScriptBatcher:
    def __init__(self, client: AsyncRedis, script: str) -> None:
        self.client = client
        self.script: AsyncScript = client.register_script(script)
        self._pending: list[tuple[list[str], list[Any], asyncio.Future[Any]]] = []
        self._sending: set[asyncio.Task[None]] = set()

    async def __call__(self, keys: list[str], args: list[Any]) -> Any:
        loop = asyncio.get_running_loop()
        reply: asyncio.Future[Any] = loop.create_future()
        if not self._pending:
            # After the callbacks already due this turn, so the calls they make join the batch.
            loop.call_soon(self._flush)
        self._pending.append((keys, args, reply))
        return await reply

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        task = asyncio.get_running_loop().create_task(self._send(batch))
        self._sending.add(task)  # asyncio keeps only weak references to tasks
        task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[tuple[list[str], list[Any], asyncio.Future[Any]]]) -> None:
        if len(batch) == 1:
            keys, args, reply = batch[0]
            await _settle(reply, self.script(keys=keys, args=args))
            return
        try:
            pipe = self.client.pipeline(transaction=False)
            for keys, args, _ in batch:
                # Not `pipe.evalsha`: redis-py's cluster pipeline refuses that name, though it
                # routes the command itself by its keys like any other.
                pipe.execute_command("EVALSHA", self.script.sha, len(keys), *keys, *args)
            replies = await pipe.execute(raise_on_error=False)
        except BaseException as exc:  # e.g. the connection failed: every call in it did
            for _, _, reply in batch:
                if not reply.done():
                    reply.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (keys, args, reply), result in zip(batch, replies, strict=True):
            if isinstance(result, NoScriptError):
                # The server lost its scripts (a restart, a failover): this call loads it again.
                await _settle(reply, self.script(keys=keys, args=args))
            elif reply.done():
                continue  # its caller was cancelled
            elif isinstance(result, Exception):
                reply.set_exception(result)
            else:
                reply.set_result(result)


async def _settle(reply: asyncio.Future[Any], call: Any) -> None:
    try:
        result = await call
    except Exception as exc:
        if not reply.done():
            reply.set_exception(exc)
        return
    if not reply.done():
        reply.set_result(result)
