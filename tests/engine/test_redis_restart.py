"""A Redis server restarted under a running bot: the learners see nothing of it."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bot.advisor.offline import OfflineAdvisor
from bot.engine.engine import UNAVAILABLE_NOTICE, Engine
from bot.storage.client import connect
from bot.storage.embedded import find_redis_server
from bot.storage.keys import KeyBuilder
from bot.storage.local_cluster import free_cluster_port
from bot.storage.redis_store import RedisLearnerStore
from tests.engine.driver import Learner


class TcpRedis:
    """A redis-server on a loopback TCP port (connections over TCP are the ones redis-py's
    maintenance notifications concern), keeping every write in its AOF across restarts."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_cluster_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                find_redis_server(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.data_dir),
            ]
            + ["--save", "", "--appendonly", "yes", "--appendfsync", "always"],
            stdout=subprocess.DEVNULL,
        )
        probe = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        for _ in range(200):
            try:
                if probe.ping():
                    break
            except redis.ConnectionError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("redis-server exited at start")
            time.sleep(0.05)
        probe.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def tcp_redis(tmp_path: Path) -> Iterator[TcpRedis]:
    server = TcpRedis(tmp_path)
    server.start()
    yield server
    server.stop()


async def test_learners_see_nothing_of_a_redis_restart_between_their_events(module, tcp_redis) -> None:
    client = await connect(tcp_redis.url)
    engine = Engine(module, RedisLearnerStore(client, KeyBuilder("t")), OfflineAdvisor())
    learners = [Learner(engine, user=f"u{i}") for i in range(24)]
    # Many learners at once: their events hold several of the client's connections.
    await asyncio.gather(*(learner.command("start") for learner in learners))
    await asyncio.gather(*(learner.command("resume") for learner in learners))
    before = [learner.text() for learner in learners]
    assert all(before)

    tcp_redis.stop()
    tcp_redis.start()  # every connection the client holds was closed by the old server
    await asyncio.sleep(0.2)

    await asyncio.gather(*(learner.command("resume") for learner in learners))
    assert [learner.notices() for learner in learners] == [[] for _ in learners]
    assert [learner.text() for learner in learners] == before  # where each one was, read afresh
    # A click that writes (a commit, its script loaded again on the new server) works too.
    await asyncio.gather(*(learner.press("next") for learner in learners))
    assert not any(UNAVAILABLE_NOTICE in notice for learner in learners for notice in learner.notices())
    assert all(learner.text() != text for learner, text in zip(learners, before, strict=True))
    await client.aclose()
