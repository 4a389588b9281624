"""`CohortStore`: cohort records, rosters and facilitators of each tenant, in Redis.

Layout (see `KeyBuilder`): per tenant, `{platform:tenant}:cohorts` (set of names) and
`{platform:tenant}:cohort-of` (hash user → cohort name: a learner is in at most one cohort
of a tenant); per cohort, under `{cohort:platform:tenant:name}`, `:record` (JSON `Cohort`),
`:roster` (hash user → JSON `RosterEntry`), `:facilitators` (set) and `:pending:<id>`.

A tenant's keys and a cohort's keys live in different cluster slots, so no script spans
them. Writes go tenant-claim first: an enrolment claims the learner in `cohort-of` (HSETNX)
before adding them to the roster, and a removal takes them off the roster before releasing
the claim, so a crash in between can leave a learner claimed but not listed (enrolling them
again repairs it), never listed in two cohorts. Learners' own records are not touched here.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis, RedisCluster

from bot.cohorts.models import Cohort, RosterEntry, Tenant
from bot.storage.keys import KeyBuilder

log = logging.getLogger("tutorbot.cohorts")

AsyncRedis = Redis | RedisCluster

# KEYS: cohort-of.  ARGV: user, cohort name.  Deletes the claim only if it names this cohort.
RELEASE_LUA = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""

# KEYS: pending.  ARGV: the user pressing Confirm.
# Returns {1, payload} for the requester's first press, {0} when there is no such action (or
# it expired), {-1, requester} when someone else pressed, {2} when it was already confirmed.
CLAIM_PENDING_LUA = """
local by = redis.call('HGET', KEYS[1], 'by')
if not by then return {0} end
if by ~= ARGV[1] then return {-1, by} end
if redis.call('HGET', KEYS[1], 'done') == '1' then return {2} end
redis.call('HSET', KEYS[1], 'done', '1')
return {1, redis.call('HGET', KEYS[1], 'payload')}
"""

BATCH = 500
"""Users per pipelined call when reading or writing many at once."""


@dataclass(frozen=True)
class Enrolment:
    """What enrolling a list of users did."""

    added: list[str]
    already: list[str]
    """Already on this cohort's roster."""
    elsewhere: dict[str, str]
    """User → the other cohort of the tenant they are in (left there)."""


@dataclass(frozen=True)
class Claim:
    status: str
    """`ok`, `unknown` (no such action, or expired), `not-yours` or `done`."""
    payload: bytes = b""
    requester: str = ""


class CohortStore:
    """See the module docstring. `client` must return bytes (`decode_responses=False`)."""

    def __init__(self, client: AsyncRedis, keys: KeyBuilder, *, pending_ttl_s: int = 15 * 60) -> None:
        self.client = client
        self.keys = keys
        self.pending_ttl_s = pending_ttl_s
        self._release = client.register_script(RELEASE_LUA)
        self._claim = client.register_script(CLAIM_PENDING_LUA)

    # Cohorts ------------------------------------------------------------------------------

    async def create(self, tenant: Tenant, cohort: Cohort) -> bool:
        """Store a new cohort; False (and nothing changed) when the name is taken."""
        record = self.keys.cohort(tenant.platform, tenant.tenant, cohort.name)
        created = await self.client.set(record, cohort.model_dump_json(), nx=True)
        # Listed even when it existed: repairs a cohort whose creation stopped halfway.
        await self.client.sadd(self.keys.cohorts(tenant.platform, tenant.tenant), cohort.name)
        await self.client.sadd(self.keys.cohort_tenants(), str(tenant))
        return bool(created)

    async def tenants(self) -> list[Tenant]:
        """Every tenant that has had a cohort (the nudge sweep's round).

        The first call on a deployment whose cohorts are older than the round fills it from the
        tenants' cohort lists (one SCAN, every node of a cluster), so their cohorts get nudges
        and releases without waiting to be saved again."""
        if not await self.client.exists(self.keys.cohort_tenants_filled()):
            await self._fill_round()
        members = await self.client.smembers(self.keys.cohort_tenants())
        out = []
        for member in sorted(_text(each) for each in members):
            platform, _, tenant = member.partition(":")
            try:
                out.append(Tenant.model_validate({"platform": platform, "tenant": tenant}))
            except ValueError:
                continue  # written by no version of this code: leave it
        return out

    async def every_cohort(self) -> AsyncIterator[tuple[Tenant, Cohort]]:
        """Every cohort of every tenant on the round (the sweeps' walk); a record that no longer
        reads is logged and passed over, so one broken cohort stops no other."""
        for tenant in await self.tenants():
            for name in await self.names(tenant):
                try:
                    cohort = await self.get(tenant, name)
                except ValueError:
                    log.exception("cohort %s of %s unreadable: passed over", name, tenant)
                    continue
                if cohort is not None:
                    yield tenant, cohort

    async def _fill_round(self) -> None:
        found: set[str] = set()
        async for key in self.client.scan_iter(match=self.keys.every_tenant_cohorts(), count=500):
            tag = _text(key).removeprefix(self.keys.prefix + ":").removesuffix(":cohorts")
            found.add(tag.strip("{}"))
        if found:
            await self.client.sadd(self.keys.cohort_tenants(), *sorted(found))
        await self.client.set(self.keys.cohort_tenants_filled(), "1")

    async def save(self, tenant: Tenant, cohort: Cohort) -> None:
        """Replace an existing cohort's record (its settings, its facilitator role)."""
        await self.client.set(
            self.keys.cohort(tenant.platform, tenant.tenant, cohort.name), cohort.model_dump_json()
        )
        # Onto the nudge sweep's round: a cohort made before there was one joins it here.
        await self.client.sadd(self.keys.cohort_tenants(), str(tenant))

    async def get(self, tenant: Tenant, name: str) -> Cohort | None:
        raw = await self.client.get(self.keys.cohort(tenant.platform, tenant.tenant, name))
        return Cohort.model_validate_json(raw) if raw else None

    async def names(self, tenant: Tenant) -> list[str]:
        """The tenant's cohort names, sorted."""
        members = await self.client.smembers(self.keys.cohorts(tenant.platform, tenant.tenant))
        return sorted(_text(member) for member in members)

    async def all(self, tenant: Tenant) -> list[Cohort]:
        """Every cohort of the tenant, by name; one pipelined call after the name list."""
        names = await self.names(tenant)
        pipe = self.client.pipeline(transaction=False)
        for name in names:
            pipe.get(self.keys.cohort(tenant.platform, tenant.tenant, name))
        return [Cohort.model_validate_json(raw) for raw in await pipe.execute() if raw]

    # Roster -------------------------------------------------------------------------------

    async def enrol(self, tenant: Tenant, name: str, entries: Sequence[RosterEntry]) -> Enrolment:
        """Put these learners on the cohort's roster, unless they are in another cohort of the tenant."""
        cohort_of = self.keys.cohort_of(tenant.platform, tenant.tenant)
        roster = self.keys.roster(tenant.platform, tenant.tenant, name)
        added: list[str] = []
        already: list[str] = []
        elsewhere: dict[str, str] = {}
        for batch in _batches(entries):
            pipe = self.client.pipeline(transaction=False)
            for entry in batch:
                pipe.hsetnx(cohort_of, entry.user, name)
            for entry in batch:
                pipe.hget(cohort_of, entry.user)
            for entry in batch:
                pipe.hexists(roster, entry.user)
            replies = await pipe.execute()
            n = len(batch)
            owners = replies[n : 2 * n]
            listed = replies[2 * n :]
            write = self.client.pipeline(transaction=False)
            for entry, owner, on_roster in zip(batch, owners, listed, strict=True):
                owner_name = _text(owner) if owner else ""
                if owner_name != name:
                    elsewhere[entry.user] = owner_name
                elif on_roster:
                    already.append(entry.user)
                else:
                    added.append(entry.user)
                    write.hset(roster, entry.user, entry.model_dump_json())
            await write.execute()
        return Enrolment(added=added, already=already, elsewhere=elsewhere)

    async def remove(self, tenant: Tenant, name: str, user: str) -> bool:
        """Take a learner off the roster; their own record stays. False when not on it."""
        removed = await self.client.hdel(self.keys.roster(tenant.platform, tenant.tenant, name), user)
        await self._release(keys=[self.keys.cohort_of(tenant.platform, tenant.tenant)], args=[user, name])
        return bool(removed)

    async def roster(self, tenant: Tenant, name: str) -> list[RosterEntry]:
        """The cohort's learners, sorted by user id. One round trip."""
        raw = await self.client.hgetall(self.keys.roster(tenant.platform, tenant.tenant, name))
        entries = [RosterEntry.model_validate_json(value) for value in raw.values()]
        return sorted(entries, key=lambda entry: entry.user)

    async def entry(self, tenant: Tenant, name: str, user: str) -> RosterEntry | None:
        raw = await self.client.hget(self.keys.roster(tenant.platform, tenant.tenant, name), user)
        return RosterEntry.model_validate_json(raw) if raw else None

    async def cohort_of(self, tenant: Tenant, user: str) -> str | None:
        """The cohort of the tenant this learner is in, if any."""
        raw = await self.client.hget(self.keys.cohort_of(tenant.platform, tenant.tenant), user)
        return _text(raw) if raw else None

    async def of_learner(self, tenant: Tenant, user: str) -> Cohort | None:
        """The cohort record of the tenant's cohort this learner is in, if any."""
        name = await self.cohort_of(tenant, user)
        return await self.get(tenant, name) if name else None

    # Facilitators ------------------------------------------------------------------------

    async def add_facilitator(self, tenant: Tenant, name: str, user: str) -> bool:
        return bool(
            await self.client.sadd(self.keys.facilitators(tenant.platform, tenant.tenant, name), user)
        )

    async def remove_facilitator(self, tenant: Tenant, name: str, user: str) -> bool:
        return bool(
            await self.client.srem(self.keys.facilitators(tenant.platform, tenant.tenant, name), user)
        )

    async def facilitators(self, tenant: Tenant, name: str) -> list[str]:
        members = await self.client.smembers(self.keys.facilitators(tenant.platform, tenant.tenant, name))
        return sorted(_text(member) for member in members)

    async def is_facilitator(self, tenant: Tenant, name: str, user: str) -> bool:
        return bool(
            await self.client.sismember(self.keys.facilitators(tenant.platform, tenant.tenant, name), user)
        )

    async def facilitated_by(self, tenant: Tenant, names: Iterable[str], user: str) -> set[str]:
        """Which of these cohorts list `user` as a facilitator; one pipelined call."""
        wanted = list(names)
        pipe = self.client.pipeline(transaction=False)
        for name in wanted:
            pipe.sismember(self.keys.facilitators(tenant.platform, tenant.tenant, name), user)
        return {name for name, member in zip(wanted, await pipe.execute(), strict=True) if member}

    # Actions waiting for a Confirm button --------------------------------------------------

    async def park(self, tenant: Tenant, name: str, action_id: str, by: str, payload: bytes) -> None:
        """Keep an action until its requester confirms it (or it expires)."""
        key = self.keys.pending(tenant.platform, tenant.tenant, name, action_id)
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(key, mapping={"by": by, "payload": payload})
        pipe.expire(key, self.pending_ttl_s)
        await pipe.execute()

    async def claim(self, tenant: Tenant, name: str, action_id: str, by: str) -> Claim:
        """The requester's first Confirm gets the payload; any other press gets why not."""
        key = self.keys.pending(tenant.platform, tenant.tenant, name, action_id)
        reply = await self._claim(keys=[key], args=[by])
        status = int(reply[0])
        if status == 1:
            return Claim("ok", payload=bytes(reply[1]))
        if status == -1:
            return Claim("not-yours", requester=bytes(reply[1]).decode())
        return Claim("done" if status == 2 else "unknown")


def _batches(entries: Sequence[RosterEntry]) -> Iterable[Sequence[RosterEntry]]:
    for start in range(0, len(entries), BATCH):
        yield entries[start : start + BATCH]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
