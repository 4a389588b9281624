"""Storage fixtures: a store on the suite's Redis, and a one-node Redis Cluster for slot rules."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis

from bot.domain.events import Actor
from bot.storage.embedded import find_redis_server
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore


@pytest.fixture
def keys() -> KeyBuilder:
    return KeyBuilder()


@pytest.fixture
def store(redis: aioredis.Redis, keys: KeyBuilder) -> RedisLearnerStore:
    return RedisLearnerStore(redis, keys, log_cap=20, transcript_cap=10)


@pytest.fixture
def actor() -> Callable[..., Actor]:
    def make(user: str = "U456", tenant: str = "T123", platform: str = "slack") -> Actor:
        return Actor(platform=platform, tenant=tenant, user=user)  # type: ignore[arg-type]

    return make


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free and valid too."""
    for _ in range(100):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + 10000 <= 65535 and _port_is_free(port + 10000):
            return port
    for port in range(20000, 55000, 7):
        if _port_is_free(port) and _port_is_free(port + 10000):
            return port
    raise RuntimeError("no free port pair for a cluster node")


@pytest.fixture(scope="session")
def cluster_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A redis-server in cluster mode owning all 16384 slots: it rejects any command or
    script whose keys span slots (CROSSSLOT), as a real cluster does."""
    data_dir: Path = tmp_path_factory.mktemp("cluster")
    port = _free_cluster_port()
    process = subprocess.Popen(
        [
            find_redis_server(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            str(data_dir / "nodes.conf"),
            "--dir",
            str(data_dir),
            "--appendonly",
            "no",
            "--save",
            "",
            "--logfile",
            str(data_dir / "redis.log"),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.02)
        client.execute_command("CLUSTER ADDSLOTS", *range(16384))
        # A new cluster node waits a moment before declaring itself healthy.
        deadline = time.monotonic() + 10
        while client.execute_command("CLUSTER INFO")["cluster_state"] != "ok":
            if time.monotonic() > deadline:
                raise RuntimeError("one-node cluster did not become ready")
            time.sleep(0.05)
        client.close()
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
async def cluster(cluster_port: int) -> AsyncIterator[aioredis.RedisCluster]:
    client = aioredis.RedisCluster(host="127.0.0.1", port=cluster_port)
    await client.flushall()
    yield client
    await client.aclose()
