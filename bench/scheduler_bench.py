"""`python -m bench.scheduler_bench`: jobs per second through the scheduler with N processes.

`jobs` jobs, all due, are scheduled; then `processes` processes (each its own interpreter,
client and `Scheduler`) run them at once. Each job's handler does what a sending handler does
to Redis (one SET NX on the job's own delivery key), which also counts duplicates. The figure is
all jobs divided by the wall time from the common start to the last finish. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import secrets
import time
from multiprocessing.synchronize import Event as Signal
from typing import Any

from bench.target import bench_redis
from bot.scheduler.clock import SystemClock
from bot.scheduler.job import Job
from bot.scheduler.runner import Scheduler
from bot.scheduler.store import JobStore
from bot.settings import Settings
from bot.storage.client import AsyncRedis, connect
from bot.storage.keys import KeyBuilder

CONNECTIONS = 512  # a claim pass runs up to 50 jobs per shard at once, 8 shards


def _keys(run: str) -> KeyBuilder:
    """Each run its own prefix, so a Redis that ran the bench before starts it afresh."""
    return KeyBuilder(f"tutorbot-bench-{run}")


def _delivered_key(run: str, job_id: str) -> str:
    return f"tutorbot-bench-{run}:delivered:{job_id}"


async def _drain(run: str, url: str, cluster: bool, go: Signal, results: Any) -> None:
    client = await connect(url, cluster=cluster, max_connections=CONNECTIONS)
    try:
        duplicates = 0

        async def deliver(job: Job) -> None:
            nonlocal duplicates
            if not await client.set(_delivered_key(run, job.id), b"1", nx=True):
                duplicates += 1

        scheduler = Scheduler(JobStore(client, _keys(run)), SystemClock(), {"bench": deliver}, batch=50)
        await asyncio.get_running_loop().run_in_executor(None, go.wait, 120)
        started = time.perf_counter()
        ran = await scheduler.run_until_idle()
        results.put({"ran": ran, "duplicates": duplicates, "started": started, "ended": time.perf_counter()})
    finally:
        await client.aclose()


def _process_main(run: str, url: str, cluster: bool, go: Signal, results: Any) -> None:
    asyncio.run(_drain(run, url, cluster, go, results))


async def _fill(run: str, client: AsyncRedis, jobs: int) -> None:
    store = JobStore(client, _keys(run))
    now = time.time()
    for start in range(0, jobs, 500):
        await asyncio.gather(
            *(
                store.schedule(Job(id=f"bench:{n}", kind="bench", run_at=now - 1))
                for n in range(start, min(jobs, start + 500))
            )
        )


async def _count_delivered(run: str, client: AsyncRedis, jobs: int) -> int:
    total = 0
    for start in range(0, jobs, 500):
        found = await asyncio.gather(
            *(client.exists(_delivered_key(run, f"bench:{n}")) for n in range(start, min(jobs, start + 500)))
        )
        total += sum(int(one) for one in found)
    return total


def run(jobs: int, processes: int, cluster: bool) -> dict[str, Any]:
    run_id = secrets.token_hex(4)
    with bench_redis(Settings(), cluster) as (url, is_cluster, where):
        asyncio.run(_setup(run_id, url, is_cluster, jobs))
        context = multiprocessing.get_context("spawn")
        go = context.Event()
        results = context.Queue()
        workers = [
            context.Process(target=_process_main, args=(run_id, url, is_cluster, go, results))
            for _ in range(processes)
        ]
        for worker in workers:
            worker.start()
        time.sleep(2.0)  # let every process connect before the common start
        go.set()
        rows = [results.get(timeout=600) for _ in workers]
        for worker in workers:
            worker.join()
        delivered = asyncio.run(_count(run_id, url, is_cluster, jobs))
    wall = max(row["ended"] for row in rows) - min(row["started"] for row in rows)
    return {
        "redis": where,
        "processes": processes,
        "jobs": jobs,
        "ran_per_process": [row["ran"] for row in rows],
        "delivered": delivered,
        "duplicates": sum(row["duplicates"] for row in rows),
        "wall_s": round(wall, 3),
        "jobs_per_s": round(jobs / wall, 1),
    }


async def _setup(run: str, url: str, cluster: bool, jobs: int) -> None:
    client = await connect(url, cluster=cluster, max_connections=CONNECTIONS)
    try:
        await _fill(run, client, jobs)
    finally:
        await client.aclose()


async def _count(run: str, url: str, cluster: bool, jobs: int) -> int:
    client = await connect(url, cluster=cluster, max_connections=CONNECTIONS)
    try:
        return await _count_delivered(run, client, jobs)
    finally:
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=20000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--cluster", action="store_true", help="on a local 3-primary Redis Cluster")
    args = parser.parse_args()
    print(json.dumps(run(args.jobs, args.processes, args.cluster)))


if __name__ == "__main__":
    main()
