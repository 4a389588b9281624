"""`tutorbot scheduler --once`: runs what is due on the deployment's Redis and exits."""

from __future__ import annotations

import io
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bot.scheduler.clock import SystemClock
from bot.scheduler.job import Job
from bot.scheduler.service import run_scheduler
from bot.scheduler.store import JobStore
from bot.settings import Settings
from bot.storage.client import AsyncRedis
from bot.storage.keys import KeyBuilder

COURSE = Path(__file__).resolve().parents[2] / "course_data"


def settings(redis_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        redis_url=redis_url,
        course_dir=COURSE,
        anthropic_api_key=None,
    )


async def test_once_runs_the_due_jobs_and_leaves_the_later_ones(redis: AsyncRedis, redis_url: str) -> None:
    store = JobStore(redis, KeyBuilder())
    now = SystemClock().now()
    await store.schedule(Job(id="due-1", kind="ping", run_at=now - 5))
    await store.schedule(Job(id="due-2", kind="ping", run_at=now - 1))
    await store.schedule(Job(id="tomorrow", kind="ping", run_at=now + 86400))
    ran: Counter[str] = Counter()

    async def ping(job: Job) -> None:
        ran[job.id] += 1

    out = io.StringIO()
    assert await run_scheduler(True, settings=settings(redis_url), handlers={"ping": ping}, out=out) == 0
    assert ran == Counter({"due-1": 1, "due-2": 1})
    assert out.getvalue() == "ran 2 due job(s) of 2 claimed\n"
    assert [job.id for job in await store.waiting()] == ["tomorrow"]


def test_the_command_exists_and_says_what_once_does() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "bot", "scheduler", "--help"], capture_output=True, text=True, timeout=60
    )
    assert shown.returncode == 0
    assert "--once" in shown.stdout and "run what is due now and exit" in shown.stdout
