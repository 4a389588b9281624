"""`LearnerStore` on Redis 6.2+, single server or Cluster.

Layout per learner (all keys share the hash tag `{platform:tenant:user}`, see `keys.py`):

- `…:state`       hash `rev` (decimal), `wid` (the random id of the write that stored it) and
                  `data` (the engine's serialized state)
- `…:log`         list, the event log, capped at `log_cap` entries
- `…:lab:<id>`    list per lab, the transcript, capped at `transcript_cap` entries
- `…:quarantine:<unix_ms>[:log|:lab:<id>]`  a learner's keys moved aside, expiring after
                  `quarantine_ttl_s`

and per tenant `{platform:tenant}:learners`, the set of user ids with a record.

A commit is one EVALSHA: the script checks the revision and write id and writes everything
or nothing, so no WATCH/MULTI round trips and no lock. Both sit in their own hash fields so
the script compares them without decoding the state.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any

from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.domain.events import Actor
from bot.storage.base import (
    CommitResult,
    CommitUncertain,
    CorruptRecord,
    LearnerStore,
    Stored,
    StoreUnavailable,
)
from bot.storage.batching import Autopipeline
from bot.storage.client import UNREACHABLE, AsyncRedis, reachable
from bot.storage.keys import KeyBuilder

logger = logging.getLogger(__name__)
WRITE_ID_BYTES = 8
COMMIT_RETRY_PAUSES_S = (0.05, 0.5)
"""Pauses before asking a commit again whose answer was lost (then it is reported uncertain)."""

# KEYS: state, log[, lab transcript]
# ARGV: expected rev, expected write id, new write id, data, transcript entries to return, the
#       log entries joined by "\n", the transcript entries joined by "\n". Entries are compact
#       JSON and never hold a raw newline; packing them into one argument each keeps the
#       client's encoding work per commit small (it is the busiest call the bot makes). The
#       caps are part of the script.
# Returns {1, transcript tail joined by "\n"} on success (one reply string however long the
# tail, so reading it costs the client about the same at every turn), {0, rev, data, wid} on a
# conflict ({0} when there is no record), {-1} when the record is not a well-formed state
# hash, {-2} when a log or transcript key holds something other than a list.
# The record is the expected one only when both its revision and its write id match: a
# revision comes round again after a rollback or a re-created record, a write id (random per
# store, then counted) does not. Finding the new write id already stored means this very commit landed before (the
# client asked again after a timeout): it succeeds again without writing twice.
# Everything that can fail is checked before the first write: Redis does not roll back a
# script that errors halfway.
COMMIT_LUA = """
for i = 2, #KEYS do
  local t = redis.call('TYPE', KEYS[i]).ok
  if t ~= 'list' and t ~= 'none' then return {-2} end
end
local found = redis.call('HMGET', KEYS[1], 'rev', 'wid', 'data')
local rev, wid, data = found[1], found[2] or '', found[3]
if rev then
  rev = tonumber(rev)
  if not rev or rev < 1 or rev % 1 ~= 0 or not data then return {-1} end
elseif redis.call('EXISTS', KEYS[1]) == 1 then
  return {-1}
else
  rev = 0
end
local function tail()
  local want = tonumber(ARGV[5])
  if KEYS[3] and want > 0 then
    return table.concat(redis.call('LRANGE', KEYS[3], -want, -1), '\\n')
  end
  return ''
end
if rev > 0 and wid == ARGV[3] then return {1, tail()} end
if rev ~= tonumber(ARGV[1]) or wid ~= ARGV[2] then
  if rev == 0 then return {0} end
  return {0, rev, data, wid}
end
redis.call('HSET', KEYS[1], 'rev', tostring(rev + 1), 'wid', ARGV[3], 'data', ARGV[4])
local function append(key, blob, cap)
  if not blob or blob == '' then return end
  local items = {}
  for item in string.gmatch(blob, '[^\\n]+') do items[#items + 1] = item end
  redis.call('RPUSH', key, unpack(items))
  redis.call('LTRIM', key, -cap, -1)
end
append(KEYS[2], ARGV[6], LOG_CAP)
if KEYS[3] then append(KEYS[3], ARGV[7], TRANSCRIPT_CAP) end
return {1, tail()}
"""


def commit_script(log_cap: int, transcript_cap: int) -> str:
    """The commit script with this store's caps written in."""
    return f"local LOG_CAP, TRANSCRIPT_CAP = {log_cap}, {transcript_cap}\n" + COMMIT_LUA


# KEYS: state, its quarantine target, then pairs (key, target) for the log and each lab
# transcript.  ARGV: ttl seconds, log entry, log cap.
# Returns 1 when something was moved, 0 when the learner had no keys, -1 when a target is
# taken. Every key moves whatever its type: this is the way out for a corrupt one, and a
# learner set aside starts with nothing of the old record, not a log or transcript that no
# longer matches the state. The note then starts the new, empty log.
QUARANTINE_LUA = """
for i = 2, #KEYS, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then return -1 end
end
local moved = 0
for i = 1, #KEYS, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('RENAME', KEYS[i], KEYS[i + 1])
    redis.call('EXPIRE', KEYS[i + 1], ARGV[1])
    moved = 1
  end
end
if moved == 0 then return 0 end
redis.call('RPUSH', KEYS[3], ARGV[2])
redis.call('LTRIM', KEYS[3], -tonumber(ARGV[3]), -1)
return 1
"""

# Lua's unpack() is bounded by the C stack (about 8000 values); caps stay well below.
MAX_CAP = 5000
DEFAULT_QUARANTINE_TTL_S = 30 * 24 * 3600
MAX_REASON_CHARS = 500
READ_BATCH = 500


def _joined(entries: Sequence[bytes], cap: int) -> bytes:
    """Entries (newest `cap` of them) as one newline-separated argument for the script."""
    if not entries:
        return b""
    kept = entries[-cap:] if len(entries) > cap else entries
    joined = b"\n".join(kept)
    # Every newline is a separator, and no entry is empty: else it would not come back as sent.
    if not all(kept) or joined.count(b"\n") != len(kept) - 1:
        raise ValueError("log and transcript entries must be non-empty and hold no newline")
    return joined


class RedisLearnerStore(LearnerStore):
    """See `LearnerStore`. `client` must return bytes (`decode_responses=False`)."""

    def __init__(
        self,
        client: AsyncRedis,
        keys: KeyBuilder,
        *,
        log_cap: int = 500,
        transcript_cap: int = 200,
        quarantine_ttl_s: int = DEFAULT_QUARANTINE_TTL_S,
        batch_commits: bool = True,
    ) -> None:
        if client.get_connection_kwargs().get("decode_responses"):
            raise ValueError("RedisLearnerStore needs a client with decode_responses=False")
        for name, cap in (("log_cap", log_cap), ("transcript_cap", transcript_cap)):
            if not 1 <= cap <= MAX_CAP:
                raise ValueError(f"{name} must be between 1 and {MAX_CAP}, got {cap}")
        if quarantine_ttl_s < 1:
            raise ValueError("quarantine_ttl_s must be positive")
        self.client = client
        self.keys = keys
        self.log_cap = log_cap
        self.transcript_cap = transcript_cap
        self.quarantine_ttl_s = quarantine_ttl_s
        # Write ids: a random prefix per store, then a count. They never come round again, like
        # a random id per write, without asking the OS for randomness on every commit.
        self._writer = secrets.token_hex(WRITE_ID_BYTES)
        self._writes = itertools.count(1)
        # The commands of one learner's event (load, enrolment, commit, open lab turn) ready at
        # the same moment as other learners' share one pipeline (see `batching.py`).
        script = commit_script(log_cap, transcript_cap)
        self._pipeline = Autopipeline(client) if batch_commits else None
        self._commit = self._pipeline.script(script) if self._pipeline else client.register_script(script)
        self._quarantine = client.register_script(QUARANTINE_LUA)

    @property
    def pipeline(self) -> Autopipeline | None:
        """The pipeline this store's event commands share (None without batching)."""
        return self._pipeline

    async def load(self, actor: Actor) -> Stored | None:
        try:
            rev, wid, data = await self._send("HMGET", self.keys.state(actor), "rev", "wid", "data")
        except ResponseError as exc:
            _raise_if_wrong_type(actor, exc)
            raise
        except UNREACHABLE as exc:
            raise StoreUnavailable(f"load of {actor}: {type(exc).__name__}") from exc
        return _record(actor, rev, wid, data)

    async def commit(
        self,
        actor: Actor,
        expected: Stored | None,
        data: bytes,
        *,
        log: Sequence[bytes] = (),
        lab_id: str | None = None,
        transcript: Sequence[bytes] = (),
        read_transcript: int = 0,
    ) -> CommitResult:
        if read_transcript < 0:
            raise ValueError(f"read_transcript must be >= 0, got {read_transcript}")
        read_transcript = min(read_transcript, self.transcript_cap)  # no more is kept anyway
        if lab_id is None and (transcript or read_transcript):
            raise ValueError("transcript entries need a lab_id")
        # Entries beyond the cap would be trimmed at once; not sending them keeps the call small.
        log_blob = _joined(log, self.log_cap)
        transcript_blob = _joined(transcript, self.transcript_cap)

        keys = self.keys.commit_keys(actor, lab_id)
        write_id = f"{self._writer}{next(self._writes):x}"
        rev, wid = (expected.rev, expected.wid) if expected else (0, "")
        args: list[Any] = [rev, wid, write_id, data, read_transcript, log_blob, transcript_blob]

        if expected is None:
            try:
                await self._enrol(actor)
            except UNREACHABLE as exc:
                raise StoreUnavailable(f"enrolment of {actor}: {type(exc).__name__}") from exc
        try:
            reply = await self._commit(keys=keys, args=args)
        except ResponseError as exc:
            _raise_if_wrong_type(actor, exc)
            raise
        except UNREACHABLE as exc:
            reply = await self._commit_again(actor, keys, args, exc)

        status = int(reply[0])
        if status == 1:
            written = Stored(rev=rev + 1, data=data, wid=write_id)
            tail = bytes(reply[1]).split(b"\n") if reply[1] else []
            return CommitResult(ok=True, current=written, transcript=tail)
        if status == 0:
            current = (
                Stored(rev=int(reply[1]), data=bytes(reply[2]), wid=_text(reply[3]))
                if len(reply) > 1
                else None
            )
            return CommitResult(ok=False, current=current)
        if status == -2:
            raise CorruptRecord(f"event log or lab transcript of {actor} is not a list")
        raise CorruptRecord(f"state record of {actor} has no usable revision or data")

    async def _commit_again(self, actor: Actor, keys: list[str], args: list[Any], lost: BaseException) -> Any:
        """The commit script asked again after its answer was `lost`: the write id in `args`
        makes a second run of a commit that did land report success without writing twice. A
        commit that timed out is not asked again: Redis is hung, and the learner has waited one
        timeout already. (The first try is made in `commit` itself: one coroutine fewer on the
        path every event takes.)"""
        for attempt, pause in enumerate((*COMMIT_RETRY_PAUSES_S, None), start=1):
            if pause is None or isinstance(lost, RedisTimeoutError):
                raise CommitUncertain(
                    f"commit of {actor} unanswered after {attempt} tries: {type(lost).__name__}"
                ) from lost
            await asyncio.sleep(pause)
            try:
                return await self._commit(keys=keys, args=args)
            except ResponseError as exc:
                _raise_if_wrong_type(actor, exc)
                raise
            except UNREACHABLE as exc:
                lost = exc
        raise AssertionError("unreachable")

    async def _enrol(self, actor: Actor) -> None:
        """List a new learner with their tenant.

        The tenant set lives in another slot, so it cannot join the commit script. Adding
        before the write means a crash in between leaves a listed learner with no record yet
        (shown as not started) rather than a record no facilitator can find. A key of the wrong
        type there would stop every newcomer of the tenant from enrolling: it is set aside
        (kept for a while, for an operator) and the set starts again.
        """
        key = self.keys.learners(actor.platform, actor.tenant)
        try:
            await self._send("SADD", key, actor.user)
            return
        except ResponseError as exc:
            if "WRONGTYPE" not in str(exc):
                raise
        aside = f"{key}:broken:{time.time_ns() // 1_000_000}"
        logger.error("learner set %s is not a set; moved to %s and started again", key, aside)
        try:
            await self.client.rename(key, aside)
            await self.client.expire(aside, self.quarantine_ttl_s)
        except ResponseError:
            pass  # another process moved it first
        await self.client.sadd(key, actor.user)

    async def transcript(self, actor: Actor, lab_id: str, last: int) -> list[bytes]:
        return await self._tail(self.keys.lab(actor, lab_id), last)

    async def log(self, actor: Actor, last: int) -> list[bytes]:
        return await self._tail(self.keys.log(actor), last)

    async def quarantine(self, actor: Actor, reason: str, *, labs: Sequence[str] = ()) -> None:
        """Move the learner's keys aside, expiring after `quarantine_ttl_s`: the state record to
        `…:quarantine:<unix_ms>`, the event log to `…:quarantine:<unix_ms>:log` and the
        transcript of each lab in `labs` to `…:quarantine:<unix_ms>:lab:<id>`. Then start the new
        event log with a JSON entry in the engine's entry shape,
        `{"t": <unix s>, "kind": "quarantined", "reason": …, "moved_to": <key>}`.
        Without any of those keys this does nothing."""
        at_ms = time.time_ns() // 1_000_000
        # Two quarantines of one learner in the same millisecond must not overwrite each other.
        for _ in range(100):
            target = self.keys.quarantine(actor, at_ms)
            pairs = [self.keys.state(actor), target, self.keys.log(actor), f"{target}:log"]
            for lab_id in labs:
                pairs += [self.keys.lab(actor, lab_id), f"{target}:lab:{lab_id}"]
            note = {
                "t": at_ms / 1000,
                "kind": "quarantined",
                "reason": reason[:MAX_REASON_CHARS],
                "moved_to": target,
            }
            entry = json.dumps(note, separators=(",", ":")).encode()
            moved = await self._quarantine(keys=pairs, args=[self.quarantine_ttl_s, entry, self.log_cap])
            if int(moved) >= 0:
                return
            at_ms += 1
        raise RuntimeError(f"no free quarantine key for {actor}")

    async def snapshots(self, actors: Sequence[Actor], *, log_last: int | None = 1) -> list[Snapshot]:
        """Each learner's record and the tail of their event log (`log_last` entries, None for
        all of it), for reads that span learners (reports, rosters, exports). Read in pipelines
        of `READ_BATCH` learners: one round trip per batch on a single server, and on a cluster
        one per node per batch (redis-py's cluster pipeline sends each node its share of the
        commands, all nodes at once)."""
        first = 0 if log_last is None else -max(1, log_last)
        found: list[Snapshot] = []
        for start in range(0, len(actors), READ_BATCH):
            batch = actors[start : start + READ_BATCH]
            pipe = self.client.pipeline(transaction=False)
            for actor in batch:
                # Queuing is synchronous: awaiting these would run a cluster pipeline early.
                pipe.hmget(self.keys.state(actor), ["rev", "wid", "data"])
                pipe.lrange(self.keys.log(actor), first, -1)
            with reachable(f"reading {len(batch)} learners"):
                replies = await pipe.execute(raise_on_error=False)
            unreachable = next((r for r in replies if isinstance(r, UNREACHABLE)), None)
            if unreachable is not None:
                raise StoreUnavailable(f"reading {len(batch)} learners: {type(unreachable).__name__}")
            for n, actor in enumerate(batch):
                found.append(_snapshot(actor, replies[2 * n], replies[2 * n + 1]))
        return found

    async def learners(self, platform: str, tenant: str) -> list[str]:
        """User ids of the tenant's learners who ever had a record, sorted."""
        with reachable(f"listing learners of {platform}:{tenant}"):
            members = await self.client.smembers(self.keys.learners(platform, tenant))
        return sorted(member.decode() if isinstance(member, bytes) else member for member in members)

    async def note_turn(self, actor: Actor, lease_until: float) -> None:
        await self._send("ZADD", self.keys.open_lab_turns(), repr(lease_until), str(actor))

    async def forget_turn(self, actor: Actor) -> None:
        await self._send("ZREM", self.keys.open_lab_turns(), str(actor))

    def _send(self, *args: Any) -> Awaitable[Any]:
        """One command of an event, with the others of this moment when batching: its reply,
        to await. A plain function, not a coroutine: one coroutine fewer per command."""
        if self._pipeline is not None:
            return self._pipeline.command(*args)
        return self.client.execute_command(*args)

    async def open_turns(self, leased_before: float | None = None) -> list[Actor]:
        key = self.keys.open_lab_turns()
        high = "+inf" if leased_before is None else f"({leased_before!r}"
        actors = []
        for member in await self.client.zrangebyscore(key, "-inf", high):
            name = _text(member)  # type: ignore[arg-type]  # members only: no scores were asked for
            platform, _, rest = name.partition(":")
            tenant, _, user = rest.partition(":")
            try:
                actors.append(Actor.model_validate({"platform": platform, "tenant": tenant, "user": user}))
            except ValueError:
                await self.client.zrem(key, name)  # not a learner: nothing to take over
        return actors

    async def _tail(self, key: str, last: int) -> list[bytes]:
        if last <= 0:
            return []
        with reachable("reading a log"):
            return [
                entry if isinstance(entry, bytes) else entry.encode()
                for entry in await self._send("LRANGE", key, -last, -1)
            ]


@dataclass(frozen=True)
class Snapshot:
    """What `snapshots` read of one learner: the record (None when there is none, or when it
    is unreadable: then `readable` is False) and the newest event-log entries."""

    actor: Actor
    record: Stored | None
    readable: bool
    last_log: bytes | None
    log: tuple[bytes, ...] = ()
    """The event-log tail that was asked for, oldest first."""


def _record(actor: Actor, rev: bytes | str | None, wid: bytes | str | None, data: object) -> Stored | None:
    """The record from the `rev`, `wid` and `data` fields of its hash; None when there is none."""
    if rev is None and data is None:
        return None
    try:
        revision = int(_bytes(rev)) if rev is not None else 0
    except ValueError:
        revision = 0
    if revision < 1 or not isinstance(data, bytes):
        raise CorruptRecord(f"state record of {actor} has no usable revision or data")
    return Stored(rev=revision, data=data, wid=_text(wid) if wid else "")


def _snapshot(actor: Actor, state: list[bytes | None] | Exception, tail: list[bytes] | Exception) -> Snapshot:
    log = tuple(bytes(entry) for entry in tail) if isinstance(tail, list) else ()
    last_log = log[-1] if log else None
    if isinstance(state, Exception):  # WRONGTYPE: something other than a hash
        return Snapshot(actor, None, False, last_log, log)
    try:
        return Snapshot(actor, _record(actor, state[0], state[1], state[2]), True, last_log, log)
    except CorruptRecord:
        return Snapshot(actor, None, False, last_log, log)


def _bytes(value: bytes | str) -> bytes:
    # The client is built with decode_responses=False (checked above); its types allow both.
    return value.encode() if isinstance(value, str) else bytes(value)


def _text(value: bytes | str) -> str:
    return _bytes(value).decode("ascii", "replace")


def _raise_if_wrong_type(actor: Actor, exc: ResponseError) -> None:
    # Something other than a hash sits under the state key (inside a script the error text
    # is wrapped, hence the search rather than a prefix match).
    if "WRONGTYPE" in str(exc):
        raise CorruptRecord(f"state record of {actor} is not a hash") from exc
