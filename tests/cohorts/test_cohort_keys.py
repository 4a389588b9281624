"""Cohort keys: one slot per cohort, apart from learners' and tenants' keys."""

from __future__ import annotations

from redis.crc import key_slot

from bot.storage.keys import KeyBuilder

keys = KeyBuilder()


def test_a_cohorts_keys_share_one_slot_and_look_as_documented() -> None:
    cohort_keys = [
        keys.cohort("slack", "T1", "spring"),
        keys.roster("slack", "T1", "spring"),
        keys.facilitators("slack", "T1", "spring"),
        keys.audit("slack", "T1", "spring"),
        keys.pending("slack", "T1", "spring", "abc123"),
    ]
    assert keys.roster("slack", "T1", "spring") == "tutorbot:{cohort:slack:T1:spring}:roster"
    assert len({key_slot(key.encode()) for key in cohort_keys}) == 1
