"""A facilitator's `/cohort nudge` preview, kept in Redis so that any process can answer its
buttons: the drafted nudges, which ones are skipped, the edited texts, and whether it was sent.

One hash per (cohort, facilitator), in the cohort's slot, expiring `ttl_s` after the last
press. Each field is written on its own (`skip:N`, `edit:N`), so two presses handled by two
processes at once both land. Every change names the preview it was made on (`id`, a nonce on
each button): a press on an expired preview, or on one a newer `/cohort nudge` replaced, is
refused as stale. `send` marks the preview sent in the same script that reads it, so a double
click sends once.
"""

from __future__ import annotations

import secrets
from typing import Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter

from bot.cohorts.models import Tenant
from bot.nudges.sweep import CohortNudge
from bot.storage.client import AsyncRedis
from bot.storage.keys import KeyBuilder

TTL_S = 15 * 60

CREATE_LUA = """
-- KEYS[1]: the preview. ARGV: id, created_at, drafts (JSON), ttl_ms
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'at', ARGV[2], 'drafts', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""

MARK_LUA = """
-- KEYS[1]: the preview. ARGV: id, field, value ('' removes the field), ttl_ms
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 'stale' end
if redis.call('HEXISTS', KEYS[1], 'sent') == 1 then return 'sent' end
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], ARGV[2])
else
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 'ok'
"""

READ_LUA = """
-- KEYS[1]: the preview. ARGV: id, ttl_ms, sent ('' only reads; else mark it sent with this)
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return {'stale'} end
local status = 'ok'
if redis.call('HEXISTS', KEYS[1], 'sent') == 1 then
  status = 'sent'
elseif ARGV[3] ~= '' then
  redis.call('HSET', KEYS[1], 'sent', ARGV[3])
  status = 'claimed'
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local out = redis.call('HGETALL', KEYS[1])
table.insert(out, 1, status)
return out
"""


_DRAFTS = TypeAdapter(list[CohortNudge])


class Preview(BaseModel):
    """A preview as stored, with the facilitator's choices applied."""

    model_config = ConfigDict(frozen=True)

    id: str
    created_at: float
    drafts: tuple[CohortNudge, ...]
    skipped: frozenset[int] = frozenset()
    edits: dict[int, str] = {}
    sent: str | None = None
    """What `send` reported, once it ran."""

    def text(self, index: int) -> str:
        return self.edits.get(index, self.drafts[index].text)

    @property
    def approved(self) -> list[int]:
        return [n for n in range(len(self.drafts)) if n not in self.skipped]


Status = Literal["ok", "stale", "sent"]


def new_id() -> str:
    return secrets.token_hex(4)


class PreviewStore:
    def __init__(self, client: AsyncRedis, keys: KeyBuilder, *, ttl_s: int = TTL_S) -> None:
        self.client = client
        self.keys = keys
        self.ttl_ms = ttl_s * 1000
        self._create = client.register_script(CREATE_LUA)
        self._mark = client.register_script(MARK_LUA)
        self._read = client.register_script(READ_LUA)

    def _key(self, tenant: Tenant, cohort: str, facilitator: str) -> str:
        return self.keys.nudge_preview(tenant.platform, tenant.tenant, cohort, facilitator)

    async def create(
        self, tenant: Tenant, cohort: str, facilitator: str, drafts: list[CohortNudge], now: float
    ) -> Preview:
        """A new preview, replacing (and so making stale) the facilitator's last one."""
        preview = Preview(id=new_id(), created_at=now, drafts=tuple(drafts))
        body = _DRAFTS.dump_json(drafts).decode()
        await self._create(
            keys=[self._key(tenant, cohort, facilitator)], args=[preview.id, repr(now), body, self.ttl_ms]
        )
        return preview

    async def mark(
        self, tenant: Tenant, cohort: str, facilitator: str, preview_id: str, field: str, value: str
    ) -> Status:
        """Sets (or with `value` "" clears) one choice: `skip:N` or `edit:N`."""
        status = await self._mark(
            keys=[self._key(tenant, cohort, facilitator)], args=[preview_id, field, value, self.ttl_ms]
        )
        return _status(status)

    async def read(
        self, tenant: Tenant, cohort: str, facilitator: str, preview_id: str, *, send_as: str = ""
    ) -> tuple[Status | Literal["claimed"], Preview | None]:
        """The preview, if `preview_id` is still the facilitator's current one. With `send_as`,
        it is marked sent (status "claimed") unless it was already (status "sent")."""
        found = await self._read(
            keys=[self._key(tenant, cohort, facilitator)], args=[preview_id, self.ttl_ms, send_as]
        )
        status = found[0].decode() if isinstance(found[0], bytes) else str(found[0])
        if status == "stale":
            return "stale", None
        raw = {
            (k.decode() if isinstance(k, bytes) else str(k)): (v.decode() if isinstance(v, bytes) else str(v))
            for k, v in zip(found[1::2], found[2::2], strict=True)
        }
        preview = Preview(
            id=raw["id"],
            created_at=float(raw["at"]),
            drafts=tuple(_DRAFTS.validate_json(raw["drafts"])),
            skipped=frozenset(int(k[5:]) for k in raw if k.startswith("skip:")),
            edits={int(k[5:]): v for k, v in raw.items() if k.startswith("edit:")},
            sent=raw.get("sent"),
        )
        return ("claimed" if status == "claimed" else _status(status)), preview

    async def report(self, tenant: Tenant, cohort: str, facilitator: str, text: str) -> None:
        """What `send` did, for a second press to repeat."""
        await self.client.hset(self._key(tenant, cohort, facilitator), "sent", text)


_STATUSES: dict[str, Status] = {"ok": "ok", "stale": "stale", "sent": "sent"}


def _status(raw: object) -> Status:
    return _STATUSES[raw.decode() if isinstance(raw, bytes) else str(raw)]
