"""`tutorbot bench-cohort`: how long a facilitator waits for `/cohort progress`, `export`, `items`
(item analysis) and `chart … funnel` on a large cohort, and how many Redis round trips each costs. Figures printed, not asserted.

`learners` simulated learners take the whole module through the engine (as `tutorbot simulate`
does), are enrolled in one cohort, and then each command runs `runs` times through the same
service the chat adapters call. Round trips are counted at the connection: every command and
every pipeline sent to Redis is one. The last line is a JSON object with every figure.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from typing import Any

from redis.asyncio import ConnectionPool, Redis

from bot.advisor.offline import OfflineAdvisor
from bot.cohorts.audit import AuditLog
from bot.cohorts.directory import ShellDirectory
from bot.cohorts.models import RosterEntry
from bot.cohorts.rights import Caller, PayloadAdmins, Rights
from bot.cohorts.service import CohortService
from bot.cohorts.store import CohortStore
from bot.course.models import Module
from bot.domain.events import Actor
from bot.domain.outbox import CollectingOutbox
from bot.engine.engine import Engine
from bot.simulate import SimulatedLearner
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore

TENANT = "T0BENCH"
COHORT = "bench"


class RoundTrips:
    """Counts what a client sends: one per command, one per pipeline."""

    def __init__(self) -> None:
        self.count = 0

    def client(self, url: str) -> Redis:
        pool = ConnectionPool.from_url(url, max_connections=64)
        base = pool.connection_class
        counter = self

        class Counting(base):  # type: ignore[valid-type,misc]  # a subclass of the pool's own class
            async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
                counter.count += 1
                await super().send_packed_command(command, check_health)

        pool.connection_class = Counting
        return Redis.from_pool(pool)


async def seed(engine: Engine, module: Module, learners: int) -> None:
    rng = random.Random(7)
    sims = [
        SimulatedLearner(
            engine,
            module,
            Actor(platform="slack", tenant=TENANT, user=f"U{n:07d}"),
            random.Random(rng.random()),
            0.85,
        )
        for n in range(learners)
    ]
    gate = asyncio.Semaphore(50)

    async def take(sim: SimulatedLearner) -> None:
        async with gate:
            await sim.take_module()

    await asyncio.gather(*(take(sim) for sim in sims))


async def timed(trips: RoundTrips, runs: int, call: Any) -> dict[str, float]:
    times, counts = [], []
    for _ in range(runs):
        before = trips.count
        started = time.perf_counter()
        answer = await call()
        times.append((time.perf_counter() - started) * 1000)
        counts.append(trips.count - before)
        assert answer.ok, answer.title
    return {
        "ms_min": round(min(times), 1),
        "ms_median": round(statistics.median(times), 1),
        "ms_max": round(max(times), 1),
        "round_trips": max(counts),
    }


async def bench(url: str, module: Module, learners: int, runs: int) -> dict[str, Any]:
    trips = RoundTrips()
    client = trips.client(url)
    try:
        keys = KeyBuilder("tutorbot-bench-cohort")
        learner_store = RedisLearnerStore(client, keys)
        engine = Engine(module, learner_store, OfflineAdvisor())
        started = time.perf_counter()
        await seed(engine, module, learners)
        seeded_s = time.perf_counter() - started
        store = CohortStore(client, keys)
        service = CohortService(
            store=store,
            audit=AuditLog(client, keys),
            rights=Rights(store, PayloadAdmins()),
            engine=engine,
            directory=ShellDirectory(),
            outbox=CollectingOutbox(),
        )
        boss = Caller(platform="slack", tenant=TENANT, user="UBENCHADMIN", manages_tenant=True)
        assert (await service.run_text(boss, f"create {COHORT}")).ok
        users = await learner_store.learners("slack", TENANT)
        now = time.time()
        await store.enrol(
            boss.home, COHORT, [RosterEntry(user=u, enrolled_at=now, enrolled_by=boss.user) for u in users]
        )
        await service.run_text(boss, f"progress {COHORT}")  # warm: scripts loaded, connections open
        progress = await timed(trips, runs, lambda: service.run_text(boss, f"progress {COHORT}"))
        export = await timed(trips, runs, lambda: service.run_text(boss, f"export {COHORT}"))
        items = await timed(trips, runs, lambda: service.run_text(boss, f"items {COHORT}"))
        chart = await timed(trips, runs, lambda: service.run_text(boss, f"chart {COHORT} funnel"))
        exported = await service.run_text(boss, f"export {COHORT}")
        return {
            "learners": len(users),
            "seeded_in_s": round(seeded_s, 1),
            "progress": progress,
            "export": export,
            "items": items,
            "chart_funnel": chart,
            "export_bytes": [len(f.content) for f in exported.files],
            "runs": runs,
        }
    finally:
        await client.aclose()


async def run_cohort_bench(learners: int, runs: int) -> int:
    import tempfile
    from pathlib import Path

    from bot.runtime import load_module
    from bot.settings import Settings
    from bot.storage.embedded import EmbeddedRedis

    settings = Settings()
    embedded = None
    url = settings.redis_url
    if not url:
        embedded = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="tutorbot-bench-")), persistent=False)
        url = embedded.start()
    try:
        figures = await bench(url, load_module(settings), learners, runs)
        figures["redis"] = "embedded unix socket" if embedded else "REDIS_URL"
    finally:
        if embedded:
            embedded.stop()
    print(json.dumps(figures))
    return 0
