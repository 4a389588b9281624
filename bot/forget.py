"""`tutorbot forget-tenant PLATFORM:TENANT`: erase everything the bot keeps about one tenant.

Uninstalling the Slack app deletes the workspace's installation and tokens at once, but keeps
its learners' progress, so a workspace that reinstalls finds its learners where they were. When
the workspace (or a Discord server) is gone for good, an operator erases the rest with this
command: every learner's record, event log, lab transcripts and posted-card memory (keys tagged
`{platform:tenant:user}`), the tenant's own keys (`{platform:tenant}`: its learner list,
cohort names, and any installation left), and its cohorts' records, rosters and audit logs
(`{cohort:platform:tenant:name}`). Without `--yes` it only counts what it would erase.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from redis.asyncio import Redis, RedisCluster

from bot.domain.events import Actor
from bot.storage.keys import KeyBuilder

BATCH = 500


@dataclass(frozen=True)
class Erased:
    learners: int
    keys: int


async def forget_tenant(
    redis: Redis | RedisCluster, keys: KeyBuilder, platform: str, tenant: str, *, erase: bool
) -> Erased:
    """Count (and with `erase`, delete) the tenant's keys. Each delete is one key, so on a
    cluster every command stays in one slot."""
    tag = keys.tenant_tag(platform, tenant)  # validates both parts
    learners = await redis.scard(keys.learners(platform, tenant))
    patterns = (
        f"{keys.prefix}:{tag[:-1]}:*",
        f"{keys.prefix}:{tag}:*",
        keys.cohort_pattern(platform, tenant),
    )
    found = 0
    for pattern in patterns:
        batch: list[bytes | str] = []
        async for key in redis.scan_iter(match=pattern, count=BATCH):
            found += 1
            batch.append(key)
            if erase and len(batch) >= BATCH:
                await _unlink(redis, batch)
                batch = []
        if erase and batch:
            await _unlink(redis, batch)
    if erase:  # off the nudge sweep's round (the index lives in its own slot)
        await redis.srem(keys.cohort_tenants(), f"{platform}:{tenant}")
    return Erased(learners=int(learners), keys=found)


async def _unlink(redis: Redis | RedisCluster, batch: list[bytes | str]) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        for key in batch:
            # Not `pipe.unlink`: on a cluster pipeline that is a coroutine that queues nothing.
            pipe.execute_command("UNLINK", key)
        await pipe.execute()


async def run_forget_tenant(spec: str, yes: bool) -> int:
    from bot.runtime import open_runtime
    from bot.settings import Settings

    platform, _, tenant = spec.partition(":")
    try:
        Actor.model_validate({"platform": platform, "tenant": tenant, "user": "check"})
    except ValidationError:
        print("Name the tenant as PLATFORM:TENANT, for example slack:T0123ABCD or discord:123456789.")
        return 2
    async with open_runtime(Settings()) as runtime:
        erased = await forget_tenant(runtime.redis, runtime.keys, platform, tenant, erase=yes)
    if yes:
        print(f"Erased {spec}: {erased.learners} learners, {erased.keys} keys.")
    else:
        print(
            f"{spec} has {erased.learners} learners and {erased.keys} keys. "
            f"Run again with --yes to erase them; this cannot be undone."
        )
    return 0
