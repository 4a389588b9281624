"""Timed jobs in Redis, claimed under a lease so each runs once across processes.

Per shard, all in one hash slot (`{scheduler#N}`), so each Lua script below touches one slot
and works the same on a Redis Cluster:

- `due`    sorted set: job id -> run-at (ms)
- `jobs`   hash: job id -> the job (JSON)
- `leased` sorted set: job id -> lease expiry (ms), for jobs a process is running
- `owner`  hash: job id -> the claiming process's token
- `done`   sorted set: job id -> finish time (ms), kept `done_keep_s` so a late re-schedule
           of a finished id is refused (the idempotency key)

A claim moves due jobs (and jobs whose lease ran out: their process died) into `leased` in one
script, so two processes never hold the same job at the same time. A process that dies after
claiming leaves the lease to expire and another takes the job over: at least once. Finishing
checks the token, so a process that lost its lease cannot finish (or retry) a job taken over.
"""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Collection

from redis.commands.core import AsyncScript

from bot.scheduler.job import Claimed, Job
from bot.storage.client import AsyncRedis
from bot.storage.keys import KeyBuilder

SCHEDULE_LUA = """
-- KEYS: due, leased, jobs, done. ARGV: id, run_at_ms, body, replace (0/1)
if redis.call('ZSCORE', KEYS[4], ARGV[1]) then return 0 end
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
if ARGV[4] == '0' and redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1
"""

CLAIM_LUA = """
-- KEYS: due, leased, jobs, owner. ARGV: now_ms, lease_ms, limit, token, scan, kinds...
-- With kinds given, only jobs of those kinds are taken; the others stay where they are, for
-- a process that can run them (looking at no more than `scan` entries of each set).
local now = tonumber(ARGV[1])
local until_ms = now + tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local scan = tonumber(ARGV[5])
local wanted = nil
if #ARGV > 5 then
  wanted = {}
  for i = 6, #ARGV do wanted[ARGV[i]] = true end
end
local function ours(body)
  if not wanted then return true end
  local ok, job = pcall(cjson.decode, body)
  return ok and type(job) == 'table' and wanted[job.kind] == true
end
local out = {}
local function take(id, body)
  redis.call('ZADD', KEYS[2], until_ms, id)
  redis.call('HSET', KEYS[4], id, ARGV[4])
  table.insert(out, body)
end
-- Jobs whose process died first: they have waited longest.
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, scan)
for _, id in ipairs(expired) do
  if #out >= limit then break end
  local body = redis.call('HGET', KEYS[3], id)
  if not body then
    redis.call('ZREM', KEYS[2], id)
    redis.call('HDEL', KEYS[4], id)
  elseif ours(body) then
    take(id, body)
  end
end
if #out < limit then
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, scan)
  for _, id in ipairs(due) do
    if #out >= limit then break end
    local body = redis.call('HGET', KEYS[3], id)
    if not body then
      redis.call('ZREM', KEYS[1], id)
    elseif ours(body) then
      redis.call('ZREM', KEYS[1], id)
      take(id, body)
    end
  end
end
return out
"""

FINISH_LUA = """
-- KEYS: leased, jobs, owner, done. ARGV: id, token, now_ms, keep_ms
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', tonumber(ARGV[3]) - tonumber(ARGV[4]))
return 1
"""

RETRY_LUA = """
-- KEYS: due, leased, jobs, owner. ARGV: id, token, run_at_ms, body
if redis.call('HGET', KEYS[4], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[4])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return 1
"""

RENEW_LUA = """
-- KEYS: leased, owner. ARGV: id, token, until_ms
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
return 1
"""

CANCEL_LUA = """
-- KEYS: due, jobs. ARGV: id
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('HDEL', KEYS[2], ARGV[1])
  return 1
end
return 0
"""

RETIRE_LUA = """
-- KEYS: due, leased, jobs, done. ARGV: id, now_ms
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
return 1
"""


CLAIM_SCAN = 1000
"""Due entries a claim looks at per shard for jobs of its kinds: jobs of other kinds ahead of
them wait for their own processes, which take them soon."""


def _ms(unix_s: float) -> int:
    return int(unix_s * 1000)


class JobStore:
    """The jobs of one deployment, spread over `shards` slots (more shards spread a cluster's
    load; every process must use the same number)."""

    def __init__(
        self, client: AsyncRedis, keys: KeyBuilder, *, shards: int = 8, done_keep_s: float = 30 * 86400
    ) -> None:
        if shards < 1:
            raise ValueError("shards must be at least 1")
        self.client = client
        self.keys = keys
        self.shards = shards
        self.done_keep_ms = _ms(done_keep_s)
        self.token = secrets.token_hex(8)  # this process, as the owner of its leases
        self._schedule: AsyncScript = client.register_script(SCHEDULE_LUA)
        self._claim: AsyncScript = client.register_script(CLAIM_LUA)
        self._finish: AsyncScript = client.register_script(FINISH_LUA)
        self._retry: AsyncScript = client.register_script(RETRY_LUA)
        self._renew: AsyncScript = client.register_script(RENEW_LUA)
        self._cancel: AsyncScript = client.register_script(CANCEL_LUA)
        self._retire: AsyncScript = client.register_script(RETIRE_LUA)

    def shard_of(self, job_id: str) -> int:
        return zlib.crc32(job_id.encode()) % self.shards

    def _k(self, shard: int, *parts: str) -> list[str]:
        return [self.keys.scheduler(shard, part) for part in parts]

    async def schedule(self, job: Job, *, replace: bool = False) -> bool:
        """Adds `job`; False when its id is already waiting (unless `replace`), running, or done."""
        shard = self.shard_of(job.id)
        added = await self._schedule(
            keys=self._k(shard, "due", "leased", "jobs", "done"),
            args=[job.id, _ms(job.run_at), job.model_dump_json(), "1" if replace else "0"],
        )
        return bool(added)

    async def cancel(self, job_id: str) -> bool:
        """Removes a waiting job; False if it is not waiting (running, done or unknown)."""
        shard = self.shard_of(job_id)
        return bool(await self._cancel(keys=self._k(shard, "due", "jobs"), args=[job_id]))

    async def retire(self, job_id: str, now: float) -> bool:
        """Marks `job_id` done without running it (a nudge a facilitator skipped), so it is never
        scheduled again; False while a process is running it."""
        shard = self.shard_of(job_id)
        retired = await self._retire(
            keys=self._k(shard, "due", "leased", "jobs", "done"), args=[job_id, _ms(now)]
        )
        return bool(retired)

    async def claim(
        self, now: float, *, lease_s: float, limit: int = 100, kinds: Collection[str] | None = None
    ) -> list[Claimed]:
        """Takes up to `limit` jobs per shard that are due at `now` (or whose lease ran out); with
        `kinds`, only jobs of those kinds (the rest are left waiting for a process that runs them)."""
        claimed: list[Claimed] = []
        only = sorted(kinds) if kinds is not None else []
        if kinds is not None and not only:
            return claimed
        scan = max(limit * 10, CLAIM_SCAN)
        for shard in range(self.shards):
            bodies = await self._claim(
                keys=self._k(shard, "due", "leased", "jobs", "owner"),
                args=[_ms(now), _ms(lease_s), limit, self.token, scan, *only],
            )
            for body in bodies:
                claimed.append(Claimed(job=Job.model_validate_json(body), shard=shard, token=self.token))
        return claimed

    async def finish(self, claimed: Claimed, now: float) -> bool:
        """Marks the job done; False if this process no longer holds its lease."""
        done = await self._finish(
            keys=self._k(claimed.shard, "leased", "jobs", "owner", "done"),
            args=[claimed.job.id, claimed.token, _ms(now), self.done_keep_ms],
        )
        return bool(done)

    async def retry(self, claimed: Claimed, run_at: float) -> bool:
        """Puts a failed job back to run at `run_at`, one attempt more."""
        job = claimed.job.model_copy(update={"run_at": run_at, "attempt": claimed.job.attempt + 1})
        moved = await self._retry(
            keys=self._k(claimed.shard, "due", "leased", "jobs", "owner"),
            args=[job.id, claimed.token, _ms(run_at), job.model_dump_json()],
        )
        return bool(moved)

    async def renew(self, claimed: Claimed, now: float, lease_s: float) -> bool:
        renewed = await self._renew(
            keys=self._k(claimed.shard, "leased", "owner"),
            args=[claimed.job.id, claimed.token, _ms(now + lease_s)],
        )
        return bool(renewed)

    async def waiting(self) -> list[Job]:
        """Every job not yet run, soonest first (for `tutorbot cohort schedule`)."""
        jobs: list[Job] = []
        for shard in range(self.shards):
            bodies = await self.client.hgetall(self.keys.scheduler(shard, "jobs"))
            jobs.extend(Job.model_validate_json(body) for body in bodies.values())
        return sorted(jobs, key=lambda job: job.run_at)

    async def is_done(self, job_id: str) -> bool:
        shard = self.shard_of(job_id)
        return await self.client.zscore(self.keys.scheduler(shard, "done"), job_id) is not None
