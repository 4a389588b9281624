"""Wires the parts a running bot needs: Redis (embedded or `REDIS_URL`), the course, the advisor
and the engine. Every entry point (terminal, Slack, simulate, bench) opens one of these."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from redis.exceptions import RedisClusterException, RedisError

from bot import cancellation, collector
from bot.advisor.base import Advisor
from bot.advisor.factory import build_advisor
from bot.course.loader import load_catalog
from bot.course.models import Module
from bot.engine.engine import Engine, EngineConfig
from bot.flows.compiled import CompiledModule
from bot.flows.context import Limits
from bot.settings import Settings
from bot.storage.client import AsyncRedis, RedisSettingsError, connect, redacted
from bot.storage.embedded import EmbeddedRedis
from bot.storage.keys import KeyBuilder
from bot.storage.redis_store import RedisLearnerStore

log = logging.getLogger("tutorbot")


@dataclass
class Runtime:
    settings: Settings
    redis: AsyncRedis
    keys: KeyBuilder
    store: RedisLearnerStore
    module: Module
    advisor: Advisor
    engine: Engine
    embedded: EmbeddedRedis | None


async def connect_settings(settings: Settings, url: str | None = None) -> AsyncRedis:
    """The client `settings` ask for (`REDIS_URL`, `REDIS_CLUSTER`), on `url` if given."""
    try:
        return await connect(
            url or settings.redis_url,
            cluster=settings.redis_cluster,
            max_connections=settings.redis_max_connections,
            timeout_s=settings.redis_timeout_s,
        )
    except RedisSettingsError as exc:
        raise SystemExit(str(exc)) from None
    except (RedisError, RedisClusterException) as exc:  # a cluster is reached at once to learn its nodes
        where = redacted(url or settings.redis_url)
        raise SystemExit(f"Redis Cluster not reachable at {where}: {exc}") from None


def load_module(settings: Settings) -> Module:
    catalog = load_catalog(settings.course_dir)
    module = catalog.get(settings.module_id)
    if module is None:
        known = ", ".join(catalog) or "none"
        raise SystemExit(
            f"Module {settings.module_id!r} not found in {settings.course_dir} (found: {known})."
        )
    return module


def engine_config(settings: Settings) -> EngineConfig:
    return EngineConfig(
        limits=Limits(
            max_message_chars=settings.max_message_chars, lab_exchange_cap=settings.lab_exchange_cap
        ),
        lease_s=settings.lab_turn_lease_s,
        renew_every_s=settings.lab_turn_lease_s / 3,
    )


def instance_name(settings: Settings) -> str:
    """This process's lasting name: the setting, else the host name, as an id part."""
    name = settings.instance_name or socket.gethostname()
    return re.sub(r"[^A-Za-z0-9._-]", "-", name)[:64] or "tutorbot"


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    advisor: Advisor | None = None,
    ephemeral: bool = False,
    long_lived: bool = False,
) -> AsyncIterator[Runtime]:
    """Start (or connect to) Redis and build the engine; stop everything on exit.

    Without `REDIS_URL` the data folder's embedded redis-server is used: started here when no
    other process owns the folder, else joined as a client (see `EmbeddedRedis`). With
    `ephemeral` (simulations, benchmarks) a private one runs in a temporary folder, without
    persistence.

    `long_lived` is for a process that serves until it exits (the bots, the terminal tutor):
    what is alive once the engine is built (the course, the libraries) is then frozen out of
    the collector's way for the rest of the process, and the collector's youngest generation
    allowed to grow (see `collector.py`). Frozen objects are never collected, so a process that
    opens runtimes again and again (tests, simulations) must not ask for it.
    """
    if settings.redis_cluster and not settings.redis_url:
        raise SystemExit("REDIS_CLUSTER=true needs REDIS_URL naming one node of the cluster.")
    embedded = None
    scratch = tempfile.TemporaryDirectory(prefix="tutorbot-") if ephemeral else None
    url = settings.redis_url
    if not url:
        folder = Path(scratch.name) if scratch else settings.data_dir / "redis"
        embedded = EmbeddedRedis(folder, persistent=not ephemeral)
        url = embedded.start()
        if not embedded.owner:
            log.info("joined the embedded Redis another process runs in %s", folder)
    watch = asyncio.create_task(_take_over_when_owner_leaves(embedded)) if embedded else None
    client = await connect_settings(settings, url)
    try:
        module = load_module(settings)
        keys = KeyBuilder(settings.key_prefix)
        store = RedisLearnerStore(
            client, keys, log_cap=settings.event_log_cap, transcript_cap=settings.transcript_cap
        )
        course = CompiledModule.of(module)
        chosen = advisor or build_advisor(settings, client, course.indexes)
        engine = Engine(course, store, chosen, engine_config(settings), instance=instance_name(settings))
        if long_lived:
            # The course and the libraries live as long as the process: keep the collector from
            # walking them again and again while events churn through short-lived objects.
            collector.settle()
        try:
            yield Runtime(settings, client, keys, store, module, chosen, engine, embedded)
        finally:
            close = getattr(chosen, "aclose", None)
            if close is not None and advisor is None:
                await close()
    finally:
        if watch:
            watch.cancel()
        await client.aclose()
        if embedded:
            embedded.stop()
        if scratch:
            scratch.cleanup()


OWNER_CHECK_S = 1.0


async def _take_over_when_owner_leaves(embedded: EmbeddedRedis) -> None:
    """A process that joined another's embedded Redis starts its own on the same files once
    that owner has gone (its server goes with it), so a client never stays without one.

    Runs on the event loop's thread, which on Linux must outlive the server it may start.
    """
    while not embedded.owner:
        await cancellation.sleep(OWNER_CHECK_S)
        try:
            if embedded.take_over():
                log.info("the owner of %s left: this process now runs its Redis", embedded.data_dir)
        except RuntimeError as problem:  # a stray server that would not stop, say: try again later
            log.warning("could not take over the embedded Redis: %s", problem)
