"""The cohort's policy keys: what `/cohort policy NAME KEY VALUE` may change.

Each key is one row of `KEYS`: the word facilitators type, the `CohortSettings` field it
sets, how its value is read and shown, and a one-line description. A new setting is a
field on `CohortSettings` and one row here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError

from bot.cohorts.answers import role
from bot.cohorts.models import Cohort, CohortSettings
from bot.course.models import Module
from bot.domain.durations import parse_duration, show_duration
from bot.domain.release import Release, ReleaseTerms, moments
from bot.domain.state import CohortTerms
from bot.nudges.policy import NudgePolicy, parse_quiet_hours, parse_timezone, show_quiet_hours


class PolicyError(ValueError):
    """A key or value that cannot be used; `str()` is the one line to show."""


def duration_minutes(text: str) -> int:
    """`30m`, `2h`, `1d` or a plain number of minutes."""
    return parse_duration(text, bare_minutes=True) // 60


def count(text: str) -> int:
    if not text.strip().isdigit():
        raise PolicyError("a whole number, like `3`")
    return int(text)


def on_off(text: str) -> bool:
    word = text.strip().lower()
    if word in ("on", "yes", "true"):
        return True
    if word in ("off", "no", "false"):
        return False
    raise PolicyError("`on` or `off`")


def day(text: str) -> date | None:
    if text.strip().lower() in ("none", "off"):
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PolicyError("a date as YYYY-MM-DD (or `none`)") from None


_EVERY = re.compile(r"^every\s+(\d{1,3})\s*(d|days?)?$")
_RELEASE_HELP = (
    "`every 7d` (a lesson every 7 days from `start-date`), dates for lessons 2, 3, … "
    "as `2026-12-07,2026-12-14`, or `off`"
)


def release(text: str) -> Release | None:
    """`off`, `every 7d`, or comma-separated dates (lessons 2, 3, … in order)."""
    word = " ".join(text.strip().lower().split())
    if word in ("off", "none"):
        return None
    every = _EVERY.fullmatch(word)
    try:
        if every:
            return Release(every_days=int(every.group(1)))
        days = tuple(date.fromisoformat(part.strip()) for part in word.replace(" ", ",").split(",") if part)
        return Release(dates=days)
    except (ValueError, ValidationError):
        raise PolicyError(_RELEASE_HELP) from None


def show_release(value: object) -> str:
    return "off" if value is None else str(value)


_ROLE = re.compile(r"^(?:<@&(\d{5,22})>|@?&?(\d{15,22}))$")


def role_id(text: str) -> str | None:
    """A Discord role as a mention (`<@&…>`) or an id; `none` clears it."""
    word = text.strip()
    if word.lower() in ("none", "off"):
        return None
    match = _ROLE.fullmatch(word)
    if not match:
        raise PolicyError("a role, as a mention like `@Graduates` or its id (or `none`)")
    return match.group(1) or match.group(2)


def show_role(value: object) -> str:
    return role(str(value)) if value else "none"


def show_minutes(value: object) -> str:
    assert isinstance(value, int)
    return show_duration(value * 60)


def show_seconds(value: object) -> str:
    assert isinstance(value, int)
    return show_duration(value)


def show_value(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "none"
    return str(value)


@dataclass(frozen=True)
class PolicyKey:
    name: str
    field: str
    """The `CohortSettings` field the key sets."""
    parse: Callable[[str], object]
    """Reads the typed value; raises `ValueError` naming what it expects."""
    description: str
    show: Callable[[object], str] = show_value


KEYS: tuple[PolicyKey, ...] = (
    PolicyKey("test-attempts", "test_attempts", count, "module-test attempts each learner has"),
    PolicyKey("cooldown", "cooldown_minutes", duration_minutes, "wait between test attempts", show_minutes),
    PolicyKey("test-open-early", "test_open_early", on_off, "test open before every quiz and lab is done"),
    PolicyKey("start-date", "start_date", day, "the day the cohort starts"),
    PolicyKey(
        "release",
        "release",
        release,
        "when lessons open: lesson 1 at once, the next ones on these days (00:00, cohort time zone)",
        show_release,
    ),
    PolicyKey(
        "pass-role",
        "pass_role",
        role_id,
        "Discord role granted on a pass of the module test",
        show_role,
    ),
    PolicyKey(
        "nudge-after", "nudge_after_s", parse_duration, "nudge a learner after this long idle", show_seconds
    ),
    PolicyKey("max-nudges", "max_nudges", count, "nudges in a row without a reply, then none until active"),
    PolicyKey(
        "quiet-hours",
        "quiet_hours",
        parse_quiet_hours,
        "no nudges in these hours, learner's time",
        show_quiet_hours,
    ),
    PolicyKey("weekends", "weekends", on_off, "nudges on Saturdays and Sundays too"),
    PolicyKey(
        "timezone", "timezone", parse_timezone, "the cohort's time zone (Slack learners use their own)"
    ),
)
BY_NAME = {key.name: key for key in KEYS}
assert all(key.field in CohortSettings.model_fields for key in KEYS), "a key sets a CohortSettings field"


def defaults(module: Module) -> CohortSettings:
    """A new cohort's settings: the module's own."""
    test = module.test
    return CohortSettings(test_attempts=test.max_attempts, cooldown_minutes=test.cooldown_minutes)


def lookup(name: str) -> PolicyKey:
    key = BY_NAME.get(name.strip().lower())
    if key is None:
        known = ", ".join(f"`{each.name}`" for each in KEYS)
        raise PolicyError(f"`{name[:30]}` is not a policy key; the keys are {known}.")
    return key


def changed(settings: CohortSettings, key: PolicyKey, raw: str) -> CohortSettings:
    """`settings` with `key` set from `raw`, checked as the model checks every setting."""
    try:
        value = key.parse(raw)
    except ValueError as exc:
        raise PolicyError(f"`{key.name}` takes {exc} (got `{raw[:30]}`).") from None
    try:
        return CohortSettings.model_validate({**settings.model_dump(), key.field: value})
    except ValidationError as exc:
        why = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise PolicyError(f"`{key.name}` cannot be `{raw[:30]}`: {why.lower()}.") from None


def shown(key: PolicyKey, settings: CohortSettings) -> str:
    return key.show(getattr(settings, key.field))


def lines(settings: CohortSettings, module: Module) -> list[str]:
    """One line per key: its value, its default, what it does."""
    base = defaults(module)
    out = []
    for key in KEYS:
        value, default = shown(key, settings), shown(key, base)
        note = "default" if value == default else f"default {default}"
        out.append(f"`{key.name}` **{value}** ({note}): {key.description}")
    return out


def fits(settings: CohortSettings, module: Module) -> None:
    """Raises `PolicyError` when the release dates do not match the module's lessons."""
    release = settings.release
    later = len(module.lessons) - 1
    if release is None or not release.dates or len(release.dates) == later:
        return
    raise PolicyError(
        f"`release` takes one date per lesson after the first: this module has "
        f"{len(module.lessons)} lessons, so {later} dates (lessons 2–{len(module.lessons)}), "
        f"not {len(release.dates)}."
    )


def release_zone(settings: CohortSettings) -> str:
    """The zone a cohort's release days begin in: the cohort's `timezone`."""
    return settings.timezone


def release_terms(cohort: Cohort, module: Module) -> ReleaseTerms | None:
    """When each lesson opens for the cohort: its schedule, less what a facilitator opened early."""
    s = cohort.settings
    if s.release is None:
        return None
    zone = release_zone(s)
    opens = moments(s.release, s.start_date, len(module.lessons), zone)
    early = cohort.opened_through - 1  # lessons 2…opened_through are opens[0…early-1]
    return ReleaseTerms(opens=tuple(0.0 if i < early else at for i, at in enumerate(opens)), zone=zone)


def nudge_policy(settings: CohortSettings) -> NudgePolicy:
    """The cohort's nudge policy, as its settings say."""
    return NudgePolicy(
        nudge_after_s=settings.nudge_after_s,
        max_nudges=settings.max_nudges,
        quiet_hours=settings.quiet_hours,
        weekends=settings.weekends,
        timezone=settings.timezone,
    )


def terms(cohort: Cohort, module: Module) -> CohortTerms:
    """What the cohort's settings mean for each of its learners' records."""
    s = cohort.settings
    return CohortTerms(
        cohort=cohort.name,
        test_attempts=s.test_attempts,
        cooldown_minutes=s.cooldown_minutes,
        test_open_early=s.test_open_early,
        release=release_terms(cohort, module),
    )
