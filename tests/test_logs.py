"""A failure that repeats is logged once and then counted, so an outage cannot flood the log."""

from __future__ import annotations

import logging

import pytest

from bot.logs import RepeatedFailures


def _fail(message: str) -> RuntimeError:
    try:
        raise RuntimeError(message)
    except RuntimeError as exc:
        return exc


def test_a_repeated_failure_is_written_once_then_counted(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    failures = RepeatedFailures(logging.getLogger("t.failures"), window_s=60, clock=lambda: now[0])
    with caplog.at_level(logging.ERROR, logger="t.failures"):
        for i in range(500):
            now[0] = i * 0.1
            failures.failed("event failed for slack:T:U", _fail("redis went away"))
        assert len(caplog.records) == 1 and caplog.records[0].exc_info is not None
        now[0] = 61.0
        failures.failed("event failed for slack:T:U", _fail("redis went away"))
    assert len(caplog.records) == 2
    assert "500 more times" in caplog.records[1].getMessage()
    assert caplog.records[1].exc_info is None


def test_a_different_failure_is_written_at_once(caplog: pytest.LogCaptureFixture) -> None:
    failures = RepeatedFailures(logging.getLogger("t.failures"), clock=lambda: 0.0)
    with caplog.at_level(logging.ERROR, logger="t.failures"):
        failures.failed("a", _fail("one"))
        failures.failed("a", ValueError("two"))
    assert len(caplog.records) == 2
