"""Commands sent in the same event-loop turn go out in one pipeline (automatic pipelining).

With many learners' events in flight, several commands are usually ready at the same moment: the
commits of several learners, one learner's note of an open lab turn next to another's load. Each
is still its own command (a commit its own atomic, guarded EVALSHA), and each caller still gets
its own reply or error; they merely share one write to the socket and one wait, instead of one
pool checkout, send and wait each. A command that finds no company is sent on its own, as a
plain call. Each caller awaits its reply before sending its next command, so one caller's
commands run in the order it sent them. On a Redis Cluster the client's pipeline sends each
node its share, all nodes at once.

A batch also leaves before the end of the turn, as soon as `FLUSH_AT` commands wait while no
other batch is out: with many events in flight, the answers of one batch wake dozens of callers
at once, and a batch holding all their next commands would leave only once the last of them had
run, Redis idle meanwhile, and then the process idle while Redis ran it. Sent early, the first
commands keep Redis busy while the process prepares the rest, which leave at the end of the turn
as before. While a batch is out, Redis has work already, and splitting further would only cost
the process more writes and reads (each round trip costs it about as much as the idle time it
would save). Commands sent without awaiting the reply in between may fall into different
batches, on different connections, and run in either order.

On a single server a batch is written straight to one pooled connection of the client and its
replies read back in order (`_exchange`): what redis-py's pipeline does, without its per-command
work (Python packing, a timer for each reply, its bookkeeping), which was most of the client's
cost per event. The client's timeout bounds the write, and one timer bounds reading all replies.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Sequence
from typing import Any

import hiredis
from redis._parsers.base import AsyncBaseParser
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection, ConnectionPool
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.storage.client import AsyncRedis


class _Script:
    """A Lua script called through an `Autopipeline`."""

    def __init__(self, pipeline: Autopipeline, source: str) -> None:
        self.pipeline = pipeline
        self.script: AsyncScript = pipeline.client.register_script(source)

    def __call__(self, keys: list[str], args: list[Any]) -> asyncio.Future[Any]:
        call = _Call(("EVALSHA", self.script.sha, len(keys), *keys, *args), self.script, keys, args)
        return self.pipeline.send(call)


class _Call:
    __slots__ = ("args", "script", "keys", "script_args")

    def __init__(
        self,
        args: tuple[Any, ...],
        script: AsyncScript | None = None,
        keys: list[str] | None = None,
        script_args: list[Any] | None = None,
    ) -> None:
        self.args = args
        self.script, self.keys, self.script_args = script, keys, script_args

    async def alone(self, client: AsyncRedis) -> Any:
        """This call sent on its own (a script is loaded first when the server lacks it)."""
        if self.script is not None:
            return await self.script(keys=self.keys, args=self.script_args)
        return await client.execute_command(*self.args)


_Pending = list[tuple[_Call, "asyncio.Future[Any]"]]

FLUSH_AT = 8
"""Commands waiting that send a batch at once when no other batch is out (see above). Chosen by
measurement of the benchmark's learner phase (50 events in flight, interleaved runs): on an
otherwise quiet machine, 8 cut the process's idle time per event by about two thirds and raised
events/s by about a tenth at the same CPU per event; on a loaded one the runs were mixed (from
about a tenth down to a tenth up, within their noise). 16 did about as well as 8. Sending early
whatever else is out (at 4, 8 or 16) took the idle time away too, but cost as much CPU per
event as it saved."""

KEEP = 2
"""Connections a pipeline keeps between batches, and never more than a quarter of the pool's
(see `Autopipeline._done_with`)."""


class Autopipeline:
    def __init__(self, client: AsyncRedis, flush_at: int = FLUSH_AT) -> None:
        if flush_at < 1:
            raise ValueError(f"flush_at must be at least 1, got {flush_at}")
        self.client = client
        self.flush_at = flush_at
        self._pending: _Pending = []
        self._scheduled = False
        self._out = 0  # batches sent and not yet answered
        self._sending: set[asyncio.Task[None]] = set()
        self._direct = isinstance(client, Redis)
        self._kept: list[AbstractConnection] = []
        """Connections kept from one batch to the next (single server), saving a pool checkout
        and release per batch..."""
        self._keep = (
            min(KEEP, client.connection_pool.max_connections // 4) if isinstance(client, Redis) else 0
        )
        """...and how many at most."""
        self.exchanges = 0
        """Batches written straight to a connection (single server), each one round trip..."""
        self.exchanged = 0
        """...and the commands they held (figures for the benchmark)."""

    @property
    def _pool(self) -> ConnectionPool:
        assert isinstance(self.client, Redis)
        return self.client.connection_pool

    def command(self, *args: Any) -> asyncio.Future[Any]:
        """`client.execute_command(*args)`, sent with the commands of this loop turn: await the
        reply."""
        return self.send(_Call(args))

    def script(self, source: str) -> _Script:
        """A callable `(keys, args)` running the Lua script `source` through this pipeline."""
        return _Script(self, source)

    def send(self, call: _Call) -> asyncio.Future[Any]:
        """Queue `call` for the next batch, sent at the end of this loop turn, or at once when
        `flush_at` calls wait and no batch is out; its reply (or error) comes in the future.
        A plain function, not a coroutine: the commit path awaits the future itself, one
        coroutine frame fewer to build and resume per command."""
        loop = asyncio.get_running_loop()
        reply: asyncio.Future[Any] = loop.create_future()
        self._pending.append((call, reply))
        if len(self._pending) >= self.flush_at and not self._out:
            self._flush()
        elif not self._scheduled:
            # After the callbacks already due this turn, so the calls they make join the batch.
            self._scheduled = True
            loop.call_soon(self._end_of_turn)
        return reply

    def _end_of_turn(self) -> None:
        self._scheduled = False
        if self._pending:
            self._flush()

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        self._out += 1
        task = asyncio.get_running_loop().create_task(self._send(batch))
        self._sending.add(task)  # asyncio keeps only weak references to tasks
        task.add_done_callback(self._sending.discard)

    async def _send(self, batch: _Pending) -> None:
        try:
            await self._answer(batch)
        finally:
            self._out -= 1

    async def _answer(self, batch: _Pending) -> None:
        """Send `batch` and give each caller its reply or error."""
        if len(batch) == 1 and not self._direct:
            call, reply = batch[0]
            await _settle(reply, call.alone(self.client))
            return
        try:
            if self._direct:
                replies = await self._exchange([call.args for call, _ in batch])
            else:
                pipe = self.client.pipeline(transaction=False)
                for call, _ in batch:
                    # `execute_command`, not `pipe.evalsha`: redis-py's cluster pipeline refuses
                    # that name, though it routes the command itself by its keys like any other.
                    pipe.execute_command(*call.args)
                replies = await pipe.execute(raise_on_error=False)
        except BaseException as exc:  # e.g. the connection failed: every call in it did
            for _, reply in batch:
                if not reply.done():
                    reply.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (call, reply), result in zip(batch, replies, strict=True):
            if isinstance(result, NoScriptError) and call.script is not None:
                # The server lost its scripts (a restart, a failover): this call loads it again.
                await _settle(reply, call.alone(self.client))
            elif reply.done():
                continue  # its caller was cancelled
            elif isinstance(result, Exception):
                reply.set_exception(result)
            else:
                reply.set_result(result)

    async def _exchange(self, commands: Sequence[tuple[Any, ...]]) -> list[Any]:
        """Send `commands` on one connection of the (single-server) client and read their replies,
        in order: a reply that is an error (`ResponseError`) is returned in its place, as a
        pipeline with `raise_on_error=False` does; a connection that fails or times out fails
        the whole batch with redis-py's own exception."""
        connection = await self._connection()
        try:
            return await self._on(connection, commands)
        finally:
            await self._done_with(connection)

    async def _connection(self) -> AbstractConnection:
        """A connection for one batch: one this pipeline kept from an earlier batch, checked as
        the pool checks the connections it hands out (reconnected when the server closed it,
        say after a restart), else one from the pool."""
        pool = self._pool
        if not self._kept:
            connection: AbstractConnection = await pool.get_connection()  # type: ignore[no-untyped-call]  # unannotated in redis-py
            return connection
        connection = self._kept.pop()
        try:
            await pool.ensure_connection(connection)
        except BaseException:
            await pool.release(connection)
            raise
        return connection

    async def _done_with(self, connection: AbstractConnection) -> None:
        """Keep `connection` for the next batch, or give it back to the pool when the pipeline
        keeps enough already: batches sent together, or a small pool, never leave the client's
        other commands without a connection."""
        if len(self._kept) < self._keep:
            self._kept.append(connection)
        else:
            await self._pool.release(connection)

    async def _on(self, connection: AbstractConnection, commands: Sequence[tuple[Any, ...]]) -> list[Any]:
        packed = _packed(connection, commands)
        if not connection.is_connected:
            await connection.connect_check_health(check_health=False)
        # One timer for the write, then set again for reading all the replies: the client's
        # timeout bounds each, as in `send_packed_command` and a pipeline's reads, without the
        # task `asyncio.wait_for` makes (Python 3.11) or a timer per reply.
        timeout = connection.socket_timeout
        loop = asyncio.get_running_loop()
        writing = True
        try:
            async with asyncio.timeout(None if timeout is None else loop.time() + timeout) as limit:
                try:
                    await connection._send_packed_command(packed)
                except OSError as exc:
                    await connection.disconnect(nowait=True)
                    code, text = ("UNKNOWN", exc.args[0]) if len(exc.args) == 1 else exc.args[:2]
                    raise RedisConnectionError(f"Error {code} while writing to socket. {text}.") from exc
                except BaseException:
                    # Part of the batch may be written: the connection cannot be used again.
                    await connection.disconnect(nowait=True)
                    raise
                writing = False
                self.exchanges += 1
                self.exchanged += len(commands)
                if timeout is not None:
                    limit.reschedule(loop.time() + timeout)
                replies = await self._replies(connection, commands)
        except TimeoutError:
            await connection.disconnect(nowait=True)
            if writing:
                raise RedisTimeoutError("Timeout writing to socket") from None
            raise RedisTimeoutError("Timeout reading from Redis") from None
        return replies

    async def _replies(
        self, connection: AbstractConnection, commands: Sequence[tuple[Any, ...]]
    ) -> list[Any]:
        """The replies to `commands`, read straight from the connection's parser: what
        `connection.read_response` does for each (with no timer of its own: the caller's bounds
        them all), but its handling of a failed read once for the batch, not around each
        reply."""
        parser = connection._parser
        assert isinstance(parser, AsyncBaseParser)
        callbacks = self.client.response_callbacks
        replies: list[Any] = []
        try:
            for args in commands:
                response: Any = await parser.read_response()
                if isinstance(response, ResponseError):
                    replies.append(response)
                    continue
                # The reply as the client's own `execute_command` returns it. The commands of
                # an event have no callback: no coroutine is made for them.
                callback = callbacks.get(args[0])
                if callback is not None:
                    response = callback(response)
                    if inspect.isawaitable(response):
                        response = await response
                replies.append(response)
        except OSError as exc:
            await connection.disconnect(nowait=True)
            raise RedisConnectionError(
                f"Error while reading from {connection._host_error()} : {exc.args}"
            ) from exc
        except BaseException:
            await connection.disconnect(nowait=True)
            raise
        if connection.health_check_interval:
            connection.next_health_check = (
                asyncio.get_running_loop().time() + connection.health_check_interval
            )
        return replies


def _packed(connection: AbstractConnection, commands: Sequence[tuple[Any, ...]]) -> list[bytes]:
    """The commands in Redis's wire format: hiredis packs each in C; arguments it does not take
    (which redis-py refuses or encodes its own way) are packed by redis-py."""
    packed = []
    for args in commands:
        if isinstance(args[0], str) and " " in args[0]:
            args = (*args[0].split(), *args[1:])  # "SCRIPT LOAD", as redis-py splits it
        try:
            packed.append(hiredis.pack_command(args))
        except TypeError:
            packed += connection.pack_command(*args)
    return packed


class ScriptBatcher:
    """One Lua script whose calls of a loop turn share a pipeline (their own, or `pipeline`,
    shared with other commands)."""

    def __init__(self, client: AsyncRedis, script: str, pipeline: Autopipeline | None = None) -> None:
        self._call = (pipeline or Autopipeline(client)).script(script)

    def __call__(self, keys: list[str], args: list[Any]) -> asyncio.Future[Any]:
        return self._call(keys, args)


async def _settle(reply: asyncio.Future[Any], call: Any) -> None:
    try:
        result = await call
    except Exception as exc:
        if not reply.done():
            reply.set_exception(exc)
        return
    if not reply.done():
        reply.set_result(result)
