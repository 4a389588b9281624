"""`tutorbot bench`: the engine against a local real Redis, with figures printed, not asserted.

In one run:
- simulated learners taking the whole module with `concurrency` events in flight: events/s,
  p50/p99 latency per event, Redis round trips per event (counted at the client: every command
  or pipeline sent and answered), state bytes per learner;
- the cost of a lab event at a learner's 1st and 400th turn (time and state size);
- the raw limit: single EVALSHA round trips of a Lua GET+SET at the same concurrency, through
  the same client, and the ratio events/s ÷ raw round trips/s.
The last line is a JSON object with every figure.

The simulated learners run in the measured process (they must see each answer to choose the
next click). Their own time is measured exactly and subtracted: asyncio runs one coroutine at a
time, so the stretch from an answer's return to the learner's next call into the engine is the
learner's code alone. `events_per_s` includes them; `events_per_s_without_learners` and the
ratio do not.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot import collector
from bot.advisor.base import Advisor, AdvisorReplyText, AdvisorRequest, OnDelta
from bot.advisor.offline import OfflineAdvisor
from bot.advisor.retrieval import LessonIndexes
from bot.course.models import Module
from bot.domain.events import Actor, Command, Event, Press, Text
from bot.domain.outbox import CollectingOutbox, Outbox
from bot.engine.engine import Engine, EngineConfig
from bot.event_loop import running_loop_name
from bot.flows.context import Limits
from bot.simulate import SimulatedLearner
from bot.storage.batching import Autopipeline
from bot.storage.client import AsyncRedis, connect
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore

RAW_LUA = "local v = redis.call('GET', KEYS[1]); redis.call('SET', KEYS[1], ARGV[1]); return v"
LAB_TURNS = 400
LAB_PAIRS = 30


class TimedLearner(SimulatedLearner):
    """A simulated learner that adds its own time to `clock.learner_s`: everything it does from
    the engine's answer to its next call into the engine (reading the cards, choosing a click)."""

    def __init__(self, clock: LearnerClock, engine: TimedEngine, *args: Any) -> None:
        super().__init__(engine, *args)
        self.engine = _Watched(engine, clock)  # type: ignore[assignment]  # only `handle` is used


class _Watched:
    """The engine as one learner sees it: the time of each event (from the learner's call to
    the engine's answer) goes to the engine's `latencies`, and the learner's own time between
    an answer and its next call to `clock`. One wrapper does both, so the engine's own cost per
    event is not padded with a second coroutine of the benchmark's; the two clocks read at the
    same moments as when each had its own wrapper, so what is subtracted is unchanged."""

    def __init__(self, engine: TimedEngine, clock: LearnerClock) -> None:
        self.engine, self.clock = engine, clock
        self._back: float | None = None

    async def handle(self, event: Event, outbox: Outbox) -> None:
        started = time.perf_counter()
        if self._back is not None:
            self.clock.learner_s += started - self._back
        await self.engine.handle(event, outbox)
        self._back = time.perf_counter()
        self.engine.latencies.append(self._back - started)


@dataclass
class LearnerClock:
    learner_s: float = 0.0


class TimedAdvisor(OfflineAdvisor):
    """The offline advisor, adding the time of its replies to `advisor_s`. A reply runs without
    suspending (nothing in it waits), so that time is the advisor's alone."""

    advisor_s = 0.0

    async def reply(self, request: AdvisorRequest, on_delta: OnDelta | None = None) -> AdvisorReplyText:
        started = time.perf_counter()
        try:
            return await super().reply(request, on_delta)
        finally:
            self.advisor_s += time.perf_counter() - started


class RoundTrips:
    """Counts what a client sends: `count` round trips (a command, or a whole pipeline) and
    `commands` (every command, pipelined or not). Batches that an engine's store writes straight
    to a connection (single server, see `bot/storage/batching.py`) bypass the client's methods:
    they are added from the store's own count (`watch`)."""

    def __init__(self, client: AsyncRedis) -> None:
        self._count = self._commands = 0
        self._watched: list[Autopipeline] = []
        execute = client.execute_command
        make_pipeline = client.pipeline

        async def counted(*args: Any, **options: Any) -> Any:
            self._count += 1
            self._commands += 1
            return await execute(*args, **options)

        def counted_pipeline(*args: Any, **options: Any) -> Any:
            pipe = make_pipeline(*args, **options)
            run = pipe.execute

            async def counted_run(*args: Any, **options: Any) -> Any:
                self._count += 1
                self._commands += len(pipe)
                return await run(*args, **options)

            pipe.execute = counted_run  # type: ignore[method-assign]
            return pipe

        # Counting on this client only.
        client.execute_command = counted  # type: ignore[method-assign]
        client.pipeline = counted_pipeline  # type: ignore[method-assign]

    def watch(self, pipeline: Autopipeline | None) -> None:
        if pipeline is not None:
            self._watched.append(pipeline)

    @property
    def count(self) -> int:
        return self._count + sum(p.exchanges for p in self._watched)

    @property
    def commands(self) -> int:
        return self._commands + sum(p.exchanged for p in self._watched)


class TimedEngine(Engine):
    """The engine with the benchmark's store and round-trip count; `latencies` holds how long
    each event of the simulated learners took (recorded by `_Watched`)."""

    def __init__(
        self,
        module: Module,
        client: AsyncRedis,
        keys: KeyBuilder,
        advisor: Advisor,
        config: EngineConfig,
        round_trips: RoundTrips,
        batch: bool = True,
    ) -> None:
        store = RedisLearnerStore(client, keys, batch_commits=batch)
        super().__init__(module, store, advisor, config)
        self.client, self.keys = client, keys
        self.latencies: list[float] = []
        self.round_trips = round_trips
        round_trips.watch(store.pipeline)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def learner_run(
    engine: TimedEngine, learners: int, concurrency: int, tenant: str = "bench"
) -> dict[str, Any]:
    """`learners` simulated learners take the module; `concurrency` of them at a time, so that
    exactly that many events are in flight (each learner waits for its answer, like a person)."""
    queue = iter(range(learners))
    runs = []
    clock = LearnerClock()

    async def worker() -> None:
        for i in queue:
            sim = TimedLearner(
                clock,
                engine,
                engine.module,
                Actor(platform="sim", tenant=tenant, user=f"l{i}"),
                random.Random(i),
                0.85,
            )
            runs.append(await sim.take_module())

    engine.latencies = []
    advisor = engine.advisor if isinstance(engine.advisor, TimedAdvisor) else None
    advisor_before = advisor.advisor_s if advisor else 0.0
    calls_before, commands_before = engine.round_trips.count, engine.round_trips.commands
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    advisor_s = (advisor.advisor_s - advisor_before) if advisor else 0.0
    calls = engine.round_trips.count - calls_before
    commands = engine.round_trips.commands - commands_before
    events = len(engine.latencies)
    return {
        "learners": learners,
        "events": events,
        "errors": sum(run.errors for run in runs),
        "seconds": round(elapsed, 3),
        "learner_seconds": round(clock.learner_s, 3),
        "events_per_s": round(events / elapsed, 1),
        "events_per_s_without_learners": round(events / (elapsed - clock.learner_s), 1),
        "advisor_seconds": round(advisor_s, 3),
        "events_per_s_without_learners_or_advisor": round(
            events / (elapsed - clock.learner_s - advisor_s), 1
        ),
        "p50_ms": round(percentile(engine.latencies, 0.50) * 1000, 3),
        "p99_ms": round(percentile(engine.latencies, 0.99) * 1000, 3),
        "round_trips_per_event": round(calls / events, 3),
        "commands_per_event": round(commands / events, 3),
    }


async def state_bytes(client: AsyncRedis, keys: KeyBuilder, actors: list[Actor]) -> float:
    sizes = [await client.hstrlen(keys.state(actor), "data") for actor in actors]
    return statistics.mean(sizes)


async def _enter_first_lab(engine: Engine, actor: Actor, outbox: CollectingOutbox) -> None:
    """Read lesson 1 to its end and open its lab, pressing the buttons a learner would."""
    lab_id = engine.module.lessons[0].lab.id
    await engine.handle(Command(actor=actor, name="start"), outbox)
    shown = outbox.take()
    for _ in range(100):
        buttons = [b for m in shown for b in m.buttons]
        target = next((b for b in buttons if b.action == "next"), None)
        if target is None:
            await engine.handle(Command(actor=actor, name="menu"), outbox)
            shown = outbox.take()
            target = next(b for m in shown for b in m.buttons if b.action == "open" and b.arg == lab_id)
            await engine.handle(Press(actor=actor, action="open", arg=lab_id, token=target.token), outbox)
            outbox.take()
            return
        await engine.handle(Press(actor=actor, action="next", token=target.token), outbox)
        shown = outbox.take()


async def _lab_turn(engine: Engine, actor: Actor, outbox: CollectingOutbox, turn: int) -> float:
    started = time.perf_counter()
    await engine.handle(
        Text(actor=actor, text=f"Question {turn}: which tools matter on day one and why?"), outbox
    )
    took = time.perf_counter() - started
    outbox.take()
    return took


async def lab_turn_cost(
    engine: Engine, client: AsyncRedis, keys: KeyBuilder, turns: int = LAB_TURNS, pairs: int = LAB_PAIRS
) -> dict[str, Any]:
    """Time of a lab event (both commits and the offline reply) at a learner's 1st and 400th turn.

    Learners who have already had 399 turns and fresh learners take their next turn alternately,
    so both figures are measured under the same machine conditions."""
    outbox = CollectingOutbox()
    veterans = [Actor(platform="sim", tenant="bench-lab", user=f"old{n}") for n in range(pairs)]
    newcomers = [Actor(platform="sim", tenant="bench-lab", user=f"new{n}") for n in range(pairs)]
    for actor in veterans + newcomers:
        await _enter_first_lab(engine, actor, outbox)
    for actor in veterans:
        for turn in range(1, turns):
            await _lab_turn(engine, actor, outbox, turn)
    first, last = [], []
    for newcomer, veteran in zip(newcomers, veterans, strict=False):
        first.append(await _lab_turn(engine, newcomer, outbox, 1))
        last.append(await _lab_turn(engine, veteran, outbox, turns))
    t1, t400 = statistics.median(first), statistics.median(last)
    return {
        "turn_1_ms": round(t1 * 1000, 3),
        f"turn_{turns}_ms": round(t400 * 1000, 3),
        f"turn_{turns}_vs_1": round(t400 / t1, 3),
        "state_bytes_turn_1": await client.hstrlen(keys.state(newcomers[0]), "data"),
        f"state_bytes_turn_{turns}": await client.hstrlen(keys.state(veterans[0]), "data"),
    }


async def raw_round_trips(client: AsyncRedis, concurrency: int, total: int) -> float:
    script = client.register_script(RAW_LUA)
    await script(keys=["bench:raw:0"], args=["x"])  # load it: every call below is one EVALSHA
    per_worker = total // concurrency

    async def worker(n: int) -> None:
        key = [f"bench:raw:{{{n}}}"]
        for _ in range(per_worker):
            await script(keys=key, args=["x"])

    started = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return per_worker * concurrency / (time.perf_counter() - started)


async def bench(
    client: AsyncRedis,
    engine_factory: Callable[[], TimedEngine],
    learners: int,
    concurrency: int,
    raw_calls: int,
    lab_turns: int = LAB_TURNS,
    lab_pairs: int = LAB_PAIRS,
) -> dict[str, Any]:
    """All figures of one run. The raw limit is measured three times (before, between and after
    the engine phases) and its highest value is used, so machine noise cannot flatter the ratio.
    The engine is warmed up with one round of learners before the measured round."""
    raw_runs = [await raw_round_trips(client, concurrency, raw_calls)]
    engine = engine_factory()
    # Warm up (first-use caches, lesson indexes, connection pool) before measuring, as the raw
    # loop's first run does for itself; these learners' figures are not kept.
    await learner_run(engine, concurrency, concurrency, tenant="bench-warm-up")
    run = await learner_run(engine, learners, concurrency)
    actors = [Actor(platform="sim", tenant="bench", user=f"l{i}") for i in range(learners)]
    run["state_bytes_per_learner"] = round(await state_bytes(client, engine.keys, actors), 1)
    raw_runs.append(await raw_round_trips(client, concurrency, raw_calls))
    lab = await lab_turn_cost(engine_factory(), client, engine.keys, lab_turns, lab_pairs)
    raw_runs.append(await raw_round_trips(client, concurrency, raw_calls))
    raw = max(raw_runs)
    return {
        **run,
        "raw_round_trips_per_s": round(raw, 1),
        "raw_round_trips_per_s_runs": [round(r, 1) for r in raw_runs],
        "ratio_events_to_raw": round(run["events_per_s_without_learners"] / raw, 3),
        "ratio_with_learners": round(run["events_per_s"] / raw, 3),
        "ratio_without_learners_or_advisor": round(run["events_per_s_without_learners_or_advisor"] / raw, 3),
        "concurrency": concurrency,
        "lab": lab,
    }


def parser_name(client: AsyncRedis) -> str:
    """The reply parser redis-py uses (hiredis's when it is installed)."""
    from redis.asyncio.connection import DefaultParser

    kwargs = client.get_connection_kwargs()
    parser = kwargs.get("parser_class") or DefaultParser
    return "hiredis" if "Hiredis" in parser.__name__ else "python"


def engine_factory(
    module: Module, client: AsyncRedis, keys: KeyBuilder, round_trips: RoundTrips, batch: bool = True
) -> Callable[[], TimedEngine]:
    config = EngineConfig(limits=Limits(lab_exchange_cap=LAB_TURNS + 10))

    def factory() -> TimedEngine:
        return TimedEngine(
            module, client, keys, TimedAdvisor(LessonIndexes(module.lessons)), config, round_trips, batch
        )

    return factory


async def run_bench(
    learners: int,
    concurrency: int,
    cluster: bool,
    raw_calls: int,
    batch: bool = True,
    lab_turns: int = LAB_TURNS,
    lab_pairs: int = LAB_PAIRS,
) -> int:
    from bench.target import bench_redis
    from bot.runtime import load_module
    from bot.settings import Settings

    settings = Settings()
    module = load_module(settings)
    with bench_redis(settings, cluster) as (url, is_cluster, where):
        client = await connect(url, cluster=is_cluster, max_connections=concurrency + 8)
        try:
            collector.settle()  # as a long-lived runtime does once the course is loaded
            keys = KeyBuilder(settings.key_prefix + "-bench")
            factory = engine_factory(module, client, keys, RoundTrips(client), batch)
            figures = await bench(client, factory, learners, concurrency, raw_calls, lab_turns, lab_pairs)
            figures["redis"] = where
            figures["commits_batched"] = batch
            figures["event_loop"] = running_loop_name()
            figures["parser"] = parser_name(client)
        finally:
            await client.aclose()
    print(json.dumps(figures))
    return 0
