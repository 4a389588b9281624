"""`tutorbot bench --processes N`: 1, 2, … N engine processes against one Redis at once.

Each process is a bot process of its own (its own interpreter, engine and connection pool) with
`concurrency` simulated learners taking the module, as in `tutorbot bench`. For each process
count the processes warm up, wait at a common start, and report their events and times; the
figure is all their events divided by the wall time from the first start to the last finish.
The same processes then run the raw EVALSHA loop together, to show where Redis (rather than
the engines) becomes the limit. Prints one line per process count, then one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import queue
import time
from dataclasses import dataclass
from multiprocessing.synchronize import Event as Signal
from typing import Any

from bench.engine_bench import RoundTrips, engine_factory, learner_run, raw_round_trips
from bench.target import bench_redis
from bot import collector
from bot.event_loop import run as run_loop
from bot.runtime import load_module
from bot.settings import Settings
from bot.storage.client import connect
from bot.storage.keys import KeyBuilder

PHASE_TIMEOUT_S = 600


@dataclass(frozen=True)
class Job:
    url: str
    cluster: bool
    tag: str
    learners: int
    concurrency: int
    raw_calls: int


def _process_main(job: Job, ready: Any, engine_go: Signal, raw_go: Signal, results: Any) -> None:
    results.put(run_loop(_run_process(job, ready, engine_go, raw_go)))


async def _wait(signal: Signal) -> None:
    if not await asyncio.get_running_loop().run_in_executor(None, signal.wait, PHASE_TIMEOUT_S):
        raise TimeoutError("the other bench processes never started")


async def _run_process(job: Job, ready: Any, engine_go: Signal, raw_go: Signal) -> dict[str, Any]:
    settings = Settings()
    module = load_module(settings)
    client = await connect(job.url, cluster=job.cluster, max_connections=job.concurrency + 8)
    try:
        collector.settle()  # as a long-lived runtime does once the course is loaded
        keys = KeyBuilder(settings.key_prefix + "-bench")
        engine = engine_factory(module, client, keys, RoundTrips(client))()
        await learner_run(engine, job.concurrency, job.concurrency, tenant=f"{job.tag}-warm-up")
        await raw_round_trips(client, job.concurrency, max(job.concurrency, job.raw_calls // 4))
        ready.put("ready")
        await _wait(engine_go)
        began = time.monotonic()
        run = await learner_run(engine, job.learners, job.concurrency, tenant=job.tag)
        finished = time.monotonic()
        ready.put("engine done")
        await _wait(raw_go)
        raw_began = time.monotonic()
        calls = max(1, job.raw_calls // job.concurrency) * job.concurrency
        await raw_round_trips(client, job.concurrency, calls)
        return {
            **run,
            "began": began,
            "finished": finished,
            "raw_calls": calls,
            "raw_began": raw_began,
            "raw_finished": time.monotonic(),
        }
    finally:
        await client.aclose()


def _await_all(ready: Any, count: int) -> None:
    for _ in range(count):
        try:
            ready.get(timeout=PHASE_TIMEOUT_S)
        except queue.Empty:
            raise TimeoutError("a bench process did not report in time") from None


def run_count(
    url: str, cluster: bool, processes: int, learners: int, concurrency: int, raw_calls: int
) -> dict[str, Any]:
    """`processes` engine processes at once; their combined figures."""
    context = multiprocessing.get_context("spawn")
    ready, results = context.Queue(), context.Queue()
    engine_go, raw_go = context.Event(), context.Event()
    children = [
        context.Process(
            target=_process_main,
            args=(
                Job(url, cluster, f"p{processes}-{n}", learners, concurrency, raw_calls),
                ready,
                engine_go,
                raw_go,
                results,
            ),
        )
        for n in range(processes)
    ]
    for child in children:
        child.start()
    try:
        _await_all(ready, processes)
        engine_go.set()
        _await_all(ready, processes)
        raw_go.set()
        figures = [results.get(timeout=PHASE_TIMEOUT_S) for _ in children]
    finally:
        for child in children:
            child.join(timeout=30)
            if child.is_alive():
                child.terminate()
    events = sum(f["events"] for f in figures)
    wall = max(f["finished"] for f in figures) - min(f["began"] for f in figures)
    raw_wall = max(f["raw_finished"] for f in figures) - min(f["raw_began"] for f in figures)
    return {
        "processes": processes,
        "events": events,
        "errors": sum(f["errors"] for f in figures),
        "events_per_s": round(events / wall, 1),
        "events_per_s_per_process": [f["events_per_s"] for f in figures],
        "events_per_s_without_learners_summed": round(
            sum(f["events_per_s_without_learners"] for f in figures), 1
        ),
        "p50_ms": max(f["p50_ms"] for f in figures),
        "p99_ms": max(f["p99_ms"] for f in figures),
        "raw_round_trips_per_s": round(sum(f["raw_calls"] for f in figures) / raw_wall, 1),
    }


def run_processes(max_processes: int, learners: int, concurrency: int, cluster: bool, raw_calls: int) -> int:
    if max_processes < 1:
        print("--processes must be 1 or more.")
        return 2
    settings = Settings()
    counts = []
    with bench_redis(settings, cluster) as (url, is_cluster, where):
        print(f"Redis: {where}; {learners} learners per process, {concurrency} events in flight in each")
        print("processes  events/s  raw EVALSHA/s  p99 ms")
        for processes in range(1, max_processes + 1):
            figures = run_count(url, is_cluster, processes, learners, concurrency, raw_calls)
            counts.append(figures)
            print(
                f"{processes:>9}  {figures['events_per_s']:>8,.0f}  {figures['raw_round_trips_per_s']:>13,.0f}"
                f"  {figures['p99_ms']:>6.1f}",
                flush=True,
            )
    print(
        json.dumps(
            {"redis": where, "learners_per_process": learners, "concurrency": concurrency, "counts": counts}
        )
    )
    return 0
