"""Release jobs carry their cohort's platform in their kind: a Discord process never takes a
Slack cohort's release (it could not DM those learners), and jobs stored under the old kind
`release` by an earlier version are handed on to the right platform and announced once."""

from __future__ import annotations

from bot.cohorts.models import Tenant
from bot.cohorts.rights import Caller
from bot.course.models import Module
from bot.domain.outbox import CollectingOutbox
from bot.releases.jobs import LEGACY, release_job, release_kind
from bot.scheduler.job import Job
from tests.releases.conftest import ReleaseWorld, scheduler, weekly
from tests.releases.test_release_dms import ANNOUNCED

DISCORD_BOSS = Caller(
    platform="discord", tenant="700000000000000001", user="510000000000000001", manages_tenant=True
)
DISCORD = Tenant(platform="discord", tenant="700000000000000001")


def told(outbox: CollectingOutbox) -> list[tuple[str, str, str]]:
    return sorted((a.platform, a.user, m.heading or "") for a, m in outbox.sent)


async def discord_weekly(world: ReleaseWorld, *users: str) -> None:
    await world.say(DISCORD_BOSS, "create spring")
    assert (await world.say(DISCORD_BOSS, "enrol spring " + " ".join(f"<@{u}>" for u in users))).ok
    assert (await world.say(DISCORD_BOSS, "policy spring start-date 2026-12-01")).ok
    assert (await world.say(DISCORD_BOSS, "policy spring release every 7d")).ok


async def test_each_platforms_process_announces_only_its_own_cohorts_releases(
    world: ReleaseWorld, module: Module
) -> None:
    await weekly(world, "UADA")
    await discord_weekly(world, "530000000000000001")
    kinds = sorted({job.kind for job in await world.jobs.waiting()})
    assert kinds == ["release.discord", "release.slack"]
    slack_dms, discord_dms = CollectingOutbox(), CollectingOutbox()
    slack = scheduler(world, module, slack_dms, "slack")
    discord = scheduler(world, module, discord_dms, "discord")
    world.clock.set(ANNOUNCED)

    assert await discord.run_until_idle() == 1  # the Discord cohort's lesson 2, not Slack's
    assert told(discord_dms) == [("discord", "530000000000000001", "Lesson 2 is open")]
    (left,) = [job for job in await world.jobs.waiting() if job.run_at == ANNOUNCED]
    assert (left.kind, left.attempt) == ("release.slack", 0)  # untouched, not delayed
    assert await slack.run_until_idle() == 1
    assert told(slack_dms) == [("slack", "UADA", "Lesson 2 is open")]
    assert told(discord_dms) == [("discord", "530000000000000001", "Lesson 2 is open")]


async def test_a_release_stored_under_the_old_kind_is_announced_once_by_its_platform(
    world: ReleaseWorld, module: Module
) -> None:
    await discord_weekly(world, "530000000000000001", "530000000000000002")
    planned = release_job(DISCORD, "spring", 2, ANNOUNCED, str(int(ANNOUNCED)))
    # What an earlier version stored for this very release, and a lost one it alone still held.
    old = Job(
        id=planned.id.replace(release_kind("discord"), "release:discord", 1),
        kind=LEGACY,
        run_at=ANNOUNCED,
        data=planned.data,
    )
    assert old.id == f"release:discord:700000000000000001:spring:L2:{int(ANNOUNCED)}"
    assert await world.jobs.schedule(old)
    assert await world.jobs.cancel(planned.id)
    slack_dms, discord_dms = CollectingOutbox(), CollectingOutbox()
    slack = scheduler(world, module, slack_dms, "slack")
    discord = scheduler(world, module, discord_dms, "discord")
    world.clock.set(ANNOUNCED)

    assert await slack.run_until_idle() == 1  # the old job, handed on to Discord's kind
    assert slack_dms.sent == []
    [moved] = [job for job in await world.jobs.waiting() if job.run_at == ANNOUNCED]
    assert (moved.id, moved.kind) == (planned.id, "release.discord")
    assert await discord.run_until_idle() == 1
    assert told(discord_dms) == [
        ("discord", "530000000000000001", "Lesson 2 is open"),
        ("discord", "530000000000000002", "Lesson 2 is open"),
    ]

    # Planned again (the same schedule set again), the moved job is the planned one: no second run.
    assert await world.jobs.schedule(planned) is False
    assert await discord.run_until_idle() == 0 and len(discord_dms.sent) == 2
