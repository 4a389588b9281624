"""A TCP proxy in front of the suite's real Redis (on its unix socket) that can lose replies, like a bad network.

Requests always reach Redis; what the proxy can do is drop what comes back: cut the
connection after the next reply is lost (`cut_next_reply`), or swallow every reply while
`hung` (a Redis that stopped answering). The client library then sees exactly what it sees
on a real network: a dropped connection, or a read timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType


class RedisProxy:
    def __init__(self, socket_path: str) -> None:
        self.target = socket_path
        self.hung = False
        self._cut_next = False
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def cut_next_reply(self) -> None:
        """Forward the next request, lose its reply, and close that connection."""
        self._cut_next = True

    async def __aenter__(self) -> RedisProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_unix_connection(self.target)

        async def upstream() -> None:
            while chunk := await reader.read(65536):
                up_writer.write(chunk)
                await up_writer.drain()

        async def downstream() -> None:
            while chunk := await up_reader.read(65536):
                if self.hung:
                    continue
                if self._cut_next:
                    self._cut_next = False
                    return
                writer.write(chunk)
                await writer.drain()

        tasks = [asyncio.create_task(upstream()), asyncio.create_task(downstream())]
        self._tasks.update(tasks)
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
                self._tasks.discard(task)
            for w in (writer, up_writer):
                with contextlib.suppress(Exception):
                    w.close()
