"""The embedded redis-server: persistent, one per data folder, and never outliving its owner."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis

from bot.storage.embedded import DataFolderBusy, EmbeddedRedis, find_redis_server
from tests.processes import redis_servers_in, wait_until

OWNER_SCRIPT = """
import sys
from pathlib import Path
from bot.storage.embedded import EmbeddedRedis
server = EmbeddedRedis(Path(sys.argv[1]))
server.start()
print(server.server_pid, flush=True)
sys.stdin.read()
"""


async def test_embedded_server_keeps_data_across_restart(tmp_path):
    with EmbeddedRedis(tmp_path) as server:
        client = aioredis.from_url(server.url)
        await client.set("k", "v")
        await client.aclose()
    with EmbeddedRedis(tmp_path) as server:
        client = aioredis.from_url(server.url)
        assert await client.get("k") == b"v"
        await client.aclose()


def test_a_second_user_of_the_folder_joins_the_running_server(tmp_path):
    first, second = EmbeddedRedis(tmp_path), EmbeddedRedis(tmp_path)
    first.start()
    try:
        second.start()
        assert first.owner and not second.owner
        assert redis_servers_in(tmp_path) == [first.server_pid]
        redis.Redis.from_url(second.url).set("card", "4")
        second.stop()  # a client leaving stops nothing and keeps the owner's socket
        assert first.socket_path.exists()
        assert redis.Redis.from_url(first.url).get("card") == b"4"
    finally:
        first.stop()
        second.stop()
    assert redis_servers_in(tmp_path) == []


def test_a_client_takes_over_when_the_owner_has_gone(tmp_path):
    first, second = EmbeddedRedis(tmp_path), EmbeddedRedis(tmp_path)
    first.start()
    second.start()
    try:
        redis.Redis.from_url(first.url).set("card", "4")
        assert not second.take_over()  # the owner is still there
        first.stop()
        assert second.take_over() and second.owner
        assert redis.Redis.from_url(second.url).get("card") == b"4"
        assert redis_servers_in(tmp_path) == [second.server_pid]
    finally:
        second.stop()


def test_kill_9_of_the_owner_takes_its_server_with_it_and_loses_nothing(tmp_path):
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER_SCRIPT, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert owner.stdout is not None
        server_pid = int(owner.stdout.readline())
        assert redis_servers_in(tmp_path) == [server_pid]
        redis.Redis(unix_socket_path=str(tmp_path / "redis.sock")).set("card", "4")
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=30)
        wait_until(lambda: redis_servers_in(tmp_path) == [], timeout=30)
    finally:
        owner.kill()
    with EmbeddedRedis(tmp_path) as again:
        assert again.owner
        assert redis.Redis.from_url(again.url).get("card") == b"4"


def test_a_server_left_serving_the_folder_is_stopped_before_a_new_one_starts(tmp_path):
    # As an older version (or a hand-started server) would leave it: no lock held, AOF on.
    stray = subprocess.Popen(
        [
            find_redis_server(),
            "--port",
            "0",
            "--unixsocket",
            str(tmp_path / "redis.sock"),
            "--dir",
            str(tmp_path),
            "--appendonly",
            "yes",
            "--pidfile",
            str(tmp_path / "redis.pid"),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(unix_socket_path=str(tmp_path / "redis.sock"))
        wait_until(lambda: _answers(client), timeout=30)
        client.set("card", "4")
        with EmbeddedRedis(tmp_path) as server:
            assert stray.wait(timeout=30) == 0  # shut down cleanly, not killed
            assert redis_servers_in(tmp_path) == [server.server_pid]
            assert redis.Redis.from_url(server.url).get("card") == b"4"
    finally:
        stray.kill()


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def test_a_folder_whose_owner_does_not_answer_is_refused_with_a_clear_line(tmp_path):
    owner = EmbeddedRedis(tmp_path)
    owner.start()
    assert owner.server_pid is not None
    os.kill(owner.server_pid, signal.SIGSTOP)  # alive, holding the folder, answering nothing
    try:
        with pytest.raises(DataFolderBusy, match="owns .* but its Redis does not answer"):
            EmbeddedRedis(tmp_path).start(timeout=2)
        assert redis_servers_in(tmp_path) == [owner.server_pid]  # no second server was started
    finally:
        os.kill(owner.server_pid, signal.SIGCONT)
        owner.stop()


async def test_a_runtime_that_joined_takes_the_server_over_when_the_owner_leaves(tmp_path, monkeypatch):
    from bot.runtime import open_runtime
    from bot.settings import Settings

    for name in ("REDIS_URL", "REDIS_CLUSTER", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(data_dir=tmp_path)
    owning = open_runtime(settings)
    first = await owning.__aenter__()
    try:
        async with open_runtime(settings) as second:
            assert first.embedded and first.embedded.owner
            assert second.embedded and not second.embedded.owner
            await first.redis.set("card", "4")
            await owning.__aexit__(None, None, None)  # the owner leaves, its server with it
            deadline = asyncio.get_running_loop().time() + 30
            while not second.embedded.owner:
                assert asyncio.get_running_loop().time() < deadline, "no take-over"
                await asyncio.sleep(0.05)
            assert await second.redis.get("card") == b"4"
            assert redis_servers_in(tmp_path / "redis") == [second.embedded.server_pid]
    finally:
        if first.embedded and first.embedded.owner:
            await owning.__aexit__(None, None, None)
