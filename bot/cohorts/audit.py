"""`AuditLog`: every facilitator action on a cohort (who, when, what, why), capped per cohort."""

from __future__ import annotations

from bot.cohorts.models import AuditEntry, Tenant
from bot.cohorts.store import AsyncRedis
from bot.storage.keys import KeyBuilder

DEFAULT_CAP = 1000


class AuditLog:
    def __init__(self, client: AsyncRedis, keys: KeyBuilder, *, cap: int = DEFAULT_CAP) -> None:
        if cap < 1:
            raise ValueError("the audit cap must be positive")
        self.client = client
        self.keys = keys
        self.cap = cap

    async def write(self, tenant: Tenant, cohort: str, entry: AuditEntry) -> None:
        key = self.keys.audit(tenant.platform, tenant.tenant, cohort)
        pipe = self.client.pipeline(transaction=True)
        pipe.rpush(key, entry.model_dump_json())
        pipe.ltrim(key, -self.cap, -1)
        await pipe.execute()

    async def last(self, tenant: Tenant, cohort: str, count: int) -> list[AuditEntry]:
        """The newest `count` entries, newest first."""
        if count <= 0:
            return []
        raw = await self.client.lrange(self.keys.audit(tenant.platform, tenant.tenant, cohort), -count, -1)
        return [AuditEntry.model_validate_json(item) for item in reversed(raw)]
