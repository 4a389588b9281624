"""When a nudge goes out: after `nudge-after`, outside quiet hours and (if off) weekends in the
learner's own time zone, at most `max-nudges` in a row, one job per nudge of a stretch."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.durations import parse_duration, show_duration
from bot.domain.events import Actor
from bot.nudges.plan import NudgeStanding, next_nudge
from bot.nudges.policy import NudgePolicy, QuietHours, parse_quiet_hours, parse_timezone
from bot.nudges.timing import allowed_at

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LEARNER = Actor(platform="slack", tenant="T1", user="U1")


def at(zone: ZoneInfo, *parts: int) -> float:
    return datetime(*parts, tzinfo=zone).timestamp()  # type: ignore[misc]  # year, month, day, hour[, minute]


def local(stamp: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(stamp, zone).strftime("%a %Y-%m-%d %H:%M")


def test_the_same_instant_is_quiet_in_one_zone_and_fine_in_the_other() -> None:
    policy = NudgePolicy()  # quiet 21-8
    # Tuesday 2026-12-01 22:00 in Berlin is 16:00 in New York.
    instant = at(BERLIN, 2026, 12, 1, 22)
    assert local(allowed_at(instant, BERLIN, policy), BERLIN) == "Wed 2026-12-02 08:00"
    assert allowed_at(instant, NEW_YORK, policy) == instant
    # 07:30 New York (13:30 Berlin): quiet in New York until 08:00 there.
    morning = at(NEW_YORK, 2026, 12, 2, 7, 30)
    assert allowed_at(morning, BERLIN, policy) == morning
    assert local(allowed_at(morning, NEW_YORK, policy), NEW_YORK) == "Wed 2026-12-02 08:00"


def test_weekends_off_moves_a_nudge_to_monday_morning_in_each_zone() -> None:
    policy = NudgePolicy(weekends=False)
    saturday_noon_berlin = at(BERLIN, 2026, 12, 5, 12)
    assert local(allowed_at(saturday_noon_berlin, BERLIN, policy), BERLIN) == "Mon 2026-12-07 08:00"
    # Friday 20:00 in New York is already Saturday 02:00 in Berlin.
    friday_evening_ny = at(NEW_YORK, 2026, 12, 4, 20)
    assert allowed_at(friday_evening_ny, NEW_YORK, policy) == friday_evening_ny
    assert local(allowed_at(friday_evening_ny, BERLIN, policy), BERLIN) == "Mon 2026-12-07 08:00"
    # Weekends on: Saturday noon stays Saturday noon.
    assert allowed_at(saturday_noon_berlin, BERLIN, NudgePolicy()) == saturday_noon_berlin


def test_quiet_hours_off_and_a_daytime_stretch() -> None:
    late = at(BERLIN, 2026, 12, 1, 23)
    assert allowed_at(late, BERLIN, NudgePolicy(quiet_hours=None)) == late
    lunch = NudgePolicy(quiet_hours=QuietHours(start=12, end=14))
    assert local(allowed_at(at(BERLIN, 2026, 12, 1, 12, 30), BERLIN, lunch), BERLIN) == "Tue 2026-12-01 14:00"
    assert allowed_at(late, BERLIN, lunch) == late


def test_nudges_of_a_stretch_come_every_nudge_after_and_stop_after_max() -> None:
    policy = NudgePolicy(quiet_hours=None, max_nudges=3)
    start = at(BERLIN, 2026, 12, 1, 10)
    plans = [
        next_nudge(NudgeStanding(actor=LEARNER, last_active=start, nudges_sent=n), policy) for n in range(4)
    ]
    assert [plan.at - start if plan else None for plan in plans] == [3 * 86400, 6 * 86400, 9 * 86400, None]
    ids = [plan.job_id for plan in plans if plan]
    assert len(set(ids)) == 3  # one job per nudge of the stretch
    # The same standing planned again gives the same job: scheduling it twice adds nothing.
    again = next_nudge(NudgeStanding(actor=LEARNER, last_active=start, nudges_sent=0), policy)
    assert again is not None and again.job_id == ids[0]
    # Activity starts a new stretch: a new job id, counted from the new activity.
    later = next_nudge(NudgeStanding(actor=LEARNER, last_active=start + 5 * 86400, nudges_sent=0), policy)
    assert later is not None and later.job_id not in ids and later.at == start + 8 * 86400


def test_paused_or_finished_learners_get_no_nudge() -> None:
    start = at(BERLIN, 2026, 12, 1, 10)
    assert next_nudge(NudgeStanding(actor=LEARNER, last_active=start, paused=True), NudgePolicy()) is None
    assert next_nudge(NudgeStanding(actor=LEARNER, last_active=start, finished=True), NudgePolicy()) is None


def test_the_learners_own_zone_wins_and_a_bad_one_falls_back_to_the_cohorts() -> None:
    policy = NudgePolicy(timezone="Europe/Berlin")
    assert policy.zone("America/New_York") == NEW_YORK
    assert policy.zone("Mars/Olympus") == BERLIN
    assert policy.zone(None) == BERLIN


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("3d", 3 * 86400), ("12h", 12 * 3600), ("30m", 1800), (" 2D ", 2 * 86400), ("2 hours", 7200)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds
    assert parse_duration(show_duration(seconds)) == seconds


@pytest.mark.parametrize("bad", ["3", "three days", "3w", "", "-1d"])
def test_a_bad_duration_says_what_it_takes(bad: str) -> None:
    with pytest.raises(ValueError, match="a duration such as `3d`, `12h` or `30m`"):
        parse_duration(bad)


def test_quiet_hours_and_zones_read_as_typed_or_refused_clearly() -> None:
    assert parse_quiet_hours("21-8") == QuietHours(start=21, end=8)
    assert parse_quiet_hours("off") is None
    for bad in ("21", "25-8", "night"):
        with pytest.raises(ValueError, match="hours such as `21-8`"):
            parse_quiet_hours(bad)
    assert parse_timezone("Asia/Tokyo") == "Asia/Tokyo"
    with pytest.raises(ValueError, match="IANA time zone"):
        parse_timezone("Berlin")


def test_an_allowed_moment_is_the_due_time_itself_to_the_last_digit() -> None:
    # A datetime keeps microseconds: this instant comes back from it a hair later, and a
    # sender told "not before then" would put the nudge back for nothing, again and again.
    due = 1796657115.5261767
    assert datetime.fromtimestamp(due, BERLIN).timestamp() > due
    assert allowed_at(due, BERLIN, NudgePolicy(quiet_hours=None)) == due
    assert allowed_at(due, BERLIN, NudgePolicy(quiet_hours=QuietHours(start=2, end=3))) == due
