"""The Redis a benchmark runs against: `REDIS_URL` when set, else one it starts for the run (an
embedded server on a unix socket, or with `cluster` a three-primary Redis Cluster on loopback)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.settings import Settings
from bot.storage.embedded import EmbeddedRedis
from bot.storage.local_cluster import LocalCluster


@contextmanager
def bench_redis(settings: Settings, cluster: bool) -> Iterator[tuple[str, bool, str]]:
    """Yields (url, is a cluster, a description for the figures)."""
    if settings.redis_url:
        kind = "cluster" if settings.redis_cluster else "single server"
        yield settings.redis_url, settings.redis_cluster, f"REDIS_URL ({kind})"
        return
    with tempfile.TemporaryDirectory(prefix="tutorbot-bench-") as folder:
        if cluster:
            with LocalCluster(Path(folder), primaries=3) as local:
                yield local.url, True, "local Redis Cluster, 3 primaries on loopback TCP"
        else:
            with EmbeddedRedis(Path(folder), persistent=False) as server:
                yield server.url, False, "embedded single server, unix socket"
