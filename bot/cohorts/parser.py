"""Reads `/cohort` text into a command. Every mistake raises `BadInput` with one line to show.

Mentions arrive as the platforms escape them: Slack (`should_escape: true`) sends `<@U…>`,
`<#C…|name>` and `<!subteam^S…|@name>`; Discord text holds `<@…>`, `<@&…>` and `<#…>`. Plain
ids (`U0123ABCD`, `@U0123ABCD`, `#C0123ABCD`, a Discord snowflake) are read too, which is what
the shell types. A plain display name (`@alice`) cannot be told apart from a typo, so it is
refused with a way forward rather than guessed.
"""

from __future__ import annotations

import re

from bot.cohorts.commands import (
    CHART_KINDS,
    Attempts,
    Audit,
    Channel,
    ChannelRef,
    Chart,
    CohortCommand,
    Create,
    Enrol,
    Export,
    Facilitator,
    Help,
    Items,
    ListCohorts,
    Nudge,
    Open,
    Policy,
    Remove,
    Reset,
    Reveal,
    RoleRef,
    ShowLearner,
    ShowProgress,
    Target,
    Undo,
    Unlock,
    UserRef,
)
from bot.cohorts.policy import KEYS
from bot.cohorts.units import looks_like_unit

POLICY_KEYS = frozenset(key.name for key in KEYS)
MAX_REASON = 200
_TOKEN = re.compile(r"<[^>]*>|\S+")
_SLACK_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$")
_SLACK_CHANNEL = re.compile(r"^<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>$")
_SLACK_GROUP = re.compile(r"^<!subteam\^([A-Z0-9]+)(?:\|@?([^>]*))?>$")
_DISCORD_USER = re.compile(r"^<@!?(\d{5,22})>$")
_DISCORD_ROLE = re.compile(r"^<@&(\d{5,22})>$")
_DISCORD_CHANNEL = re.compile(r"^<#(\d{5,22})>$")
_PLAIN_SLACK_USER = re.compile(r"^@?([UW][A-Z0-9]{6,})$")
_PLAIN_SLACK_CHANNEL = re.compile(r"^#?([CG][A-Z0-9]{6,})$")
_PLAIN_SNOWFLAKE = re.compile(r"^@?(\d{15,22})$")
_PLAIN_DISCORD_CHANNEL = re.compile(r"^#(\d{15,22})$")
_COUNT = re.compile(r"^\+?(\d{1,3})$")

WORDS = (
    "create",
    "list",
    "enrol",
    "remove",
    "facilitator",
    "progress",
    "learner",
    "unlock",
    "attempts",
    "reset",
    "undo",
    "open",
    "export",
    "audit",
    "items",
    "chart",
    "reveal",
    "policy",
    "nudge",
    "channel",
    "help",
)


class BadInput(ValueError):
    """The command cannot be read; `str()` is the one-line answer for the caller."""


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.strip())


def parse(text: str) -> CohortCommand:
    words = tokens(text)
    if not words:
        return Help()
    word, rest = words[0].lower(), words[1:]
    if word == "enroll":
        word = "enrol"
    if word not in WORDS:
        raise BadInput(f"I don't know `{words[0][:40]}`. Try `/cohort help` for the words I know.")
    if word == "help":
        return Help()
    if word == "list":
        return ListCohorts()
    if word == "create":
        if len(rest) != 1 or is_mention(rest[0]):
            raise BadInput("Name the new cohort in one word: `/cohort create NAME`.")
        return Create(name=rest[0])
    if word in ("progress", "export", "audit"):
        cohort, rest = _cohort(rest)
        if word == "progress":
            if len(rest) > 1 or (rest and not rest[0].isdigit()):
                raise BadInput("Use `/cohort progress NAME` (then the Next and Previous buttons).")
            return ShowProgress(cohort=cohort, page=int(rest[0]) if rest else 1)
        if rest:
            raise BadInput(f"`{word}` takes only the cohort's name: `/cohort {word} NAME`.")
        return Export(cohort=cohort) if word == "export" else Audit(cohort=cohort)
    if word == "nudge":
        cohort, rest = _cohort(rest)
        if rest:
            raise BadInput("`nudge` takes only the cohort's name: `/cohort nudge NAME`.")
        return Nudge(cohort=cohort)
    if word == "items":
        cohort, rest = _cohort(rest)
        if rest:
            raise BadInput("`items` takes only the cohort's name: `/cohort items NAME`.")
        return Items(cohort=cohort)
    if word == "chart":
        kinds = "|".join(CHART_KINDS)
        cohort, rest = _cohort(rest, also_words=CHART_KINDS)
        kind = rest[0].lower() if len(rest) == 1 else ""
        for each in CHART_KINDS:
            if kind == each:
                return Chart(cohort=cohort, kind=each)
        raise BadInput(f"Say which chart: `/cohort chart NAME {kinds}`.")
    if word == "reveal":
        answer = bool(rest) and rest[-1].lower() == "answer"
        rest = rest[:-1] if answer else rest
        if len(rest) not in (1, 2) or any(is_mention(each) for each in rest):
            raise BadInput("Say which question: `/cohort reveal NAME L1Q2` (or `T5`), then `… answer`.")
        cohort = rest[0] if len(rest) == 2 else None
        return Reveal(cohort=cohort, question=rest[-1][:80], answer=answer)
    if word == "policy":
        return _policy(rest)
    if word == "open":
        return _open(rest)
    if word == "channel":
        return _channel(rest)
    if word == "enrol":
        cohort, rest = _cohort(rest)
        if not rest:
            raise BadInput("Say whom to enrol: `/cohort enrol NAME @user…`, `#channel` or `@role`.")
        return Enrol(cohort=cohort, targets=tuple(target(t) for t in rest))
    if word == "facilitator":
        cohort, rest = _cohort(rest, also_words=())
        if len(rest) != 2 or rest[0].lower() not in ("add", "remove"):
            raise BadInput("Use `/cohort facilitator NAME add @user` or `… remove @user`.")
        who = target(rest[1])
        if isinstance(who, ChannelRef):
            raise BadInput("A facilitator is a person (or, on Discord, a role), not a channel.")
        return Facilitator(cohort=cohort, op="add" if rest[0].lower() == "add" else "remove", who=who)
    # The rest act on one learner: WORD [NAME] @user …
    cohort, rest = _cohort(rest)
    if not rest:
        raise BadInput(f"Say which learner: `/cohort {word} NAME @user`.")
    user = learner(rest[0])
    rest = rest[1:]
    if word == "remove":
        _nothing_more(word, rest)
        return Remove(cohort=cohort, user=user)
    if word == "learner":
        _nothing_more(word, rest)
        return ShowLearner(cohort=cohort, user=user)
    if word == "unlock":
        return Unlock(cohort=cohort, user=user, reason=_reason(rest))
    if word == "undo":
        return Undo(cohort=cohort, user=user, reason=_reason(rest))
    if word == "attempts":
        match = _COUNT.fullmatch(rest[0]) if rest else None
        if not match or int(match.group(1)) < 1:
            shown = f"`{rest[0][:20]}`" if rest else "nothing"
            raise BadInput(f"`+N` must be a positive number of attempts, like `+1` (got {shown}).")
        return Attempts(cohort=cohort, user=user, extra=int(match.group(1)), reason=_reason(rest[1:]))
    if not rest:
        raise BadInput("Say what to reset: a unit (L1, quiz1, lab1, test) or `all`.")
    return Reset(cohort=cohort, user=user, unit=rest[0], reason=_reason(rest[1:]))


def _policy(rest: list[str]) -> Policy:
    """`policy [NAME] [KEY VALUE]`; the name may be left out before a key the table knows."""
    # A value may be a mention (`pass-role @Graduates`); a name or key never is.
    named = 1 if rest and rest[0].lower() in POLICY_KEYS else 2
    if any(is_mention(each) for each in rest[:named]):
        raise BadInput(
            "Use `/cohort policy NAME` to see the settings, `/cohort policy NAME KEY VALUE` to change one."
        )
    if len(rest) >= 2 and rest[0].lower() in POLICY_KEYS:
        return Policy(cohort=None, key=rest[0], value=" ".join(rest[1:]))
    if len(rest) == 1 and rest[0].lower() in POLICY_KEYS:
        raise BadInput(f"Give `{rest[0][:30]}` a value: `/cohort policy NAME {rest[0][:30]} VALUE`.")
    if len(rest) <= 1:
        return Policy(cohort=rest[0] if rest else None)
    if len(rest) == 2:
        raise BadInput(
            f"Give `{rest[1][:30]}` a value: `/cohort policy {rest[0][:32]} {rest[1][:30]} VALUE`."
        )
    return Policy(cohort=rest[0], key=rest[1], value=" ".join(rest[2:]))


def _open(rest: list[str]) -> Open:
    """`open [NAME] UNIT [@learner] [reason]`; Discord's options arrive as `open NAME @learner UNIT`."""
    usage = "Say which lesson: `/cohort open NAME L2` (for everyone) or `/cohort open NAME L2 @user`."
    at = next((i for i, token in enumerate(rest) if is_mention(token)), None)
    before, after = (rest, []) if at is None else (rest[:at], rest[at + 1 :])
    user = learner(rest[at]) if at is not None else None
    if len(before) >= 2:
        cohort, unit, reason = before[0], before[1], before[2:] + after
    elif len(before) == 1 and after and looks_like_unit(after[0]) and not looks_like_unit(before[0]):
        cohort, unit, reason = before[0], after[0], after[1:]
    elif len(before) == 1 and (after or looks_like_unit(before[0])):
        cohort, unit, reason = None, before[0], after
    elif after:
        cohort, unit, reason = None, after[0], after[1:]
    else:
        raise BadInput(usage)
    if is_mention(unit):
        raise BadInput(usage)
    return Open(cohort=cohort, unit=unit, user=user, reason=_reason(reason))


def _channel(rest: list[str]) -> Channel:
    """`channel [NAME] [#channel | none]`."""
    cohort, rest = _cohort(rest, also_words=("none", "off"))
    if not rest:
        return Channel(cohort=cohort)
    if len(rest) == 1 and rest[0].lower() in ("none", "off"):
        return Channel(cohort=cohort, clear=True)
    try:
        found = target(rest[0]) if len(rest) == 1 else None
    except BadInput:
        found = None
    if not isinstance(found, ChannelRef):
        raise BadInput("Name one channel: `/cohort channel NAME #channel` (or `none` to clear it).")
    return Channel(cohort=cohort, channel=found)


def is_mention(token: str) -> bool:
    return token.startswith(("<", "@", "#")) or bool(_PLAIN_SLACK_USER.fullmatch(token))


def target(token: str) -> Target:
    """A user, channel or role, in any form the platforms (or the shell) send."""
    for pattern, make in (
        (_SLACK_USER, UserRef),
        (_DISCORD_USER, UserRef),
        (_SLACK_CHANNEL, ChannelRef),
        (_DISCORD_CHANNEL, ChannelRef),
        (_SLACK_GROUP, RoleRef),
        (_DISCORD_ROLE, RoleRef),
        (_PLAIN_SLACK_USER, UserRef),
        (_PLAIN_SNOWFLAKE, UserRef),
        (_PLAIN_SLACK_CHANNEL, ChannelRef),
        (_PLAIN_DISCORD_CHANNEL, ChannelRef),
    ):
        match = pattern.fullmatch(token)
        if match:
            groups = match.groups()
            name = (groups[1] if len(groups) > 1 else None) or ""
            return make(id=groups[0], name=name.strip()[:80])
    shown = token[:40]
    if token.startswith("<"):
        raise BadInput(
            f"`{shown}` is not a mention I can read: pick the person, channel or role from the menu."
        )
    raise BadInput(
        f"I can't tell who `{shown}` is: pick them from the @ menu so it arrives as a mention, "
        "or give their user id."
    )


def learner(token: str) -> UserRef:
    found = target(token)
    if not isinstance(found, UserRef):
        raise BadInput(f"`{token[:40]}` is not a person: name one learner with @.")
    return found


def _cohort(rest: list[str], also_words: tuple[str, ...] = ()) -> tuple[str | None, list[str]]:
    """The leading cohort name, when the caller gave one (it is never a mention, `+N` or add/remove)."""
    if not rest:
        return None, rest
    first = rest[0]
    if is_mention(first) or _COUNT.fullmatch(first) or first.lower() in ("add", "remove", *also_words):
        return None, rest
    return first, rest[1:]


def _reason(rest: list[str]) -> str:
    reason = " ".join(rest)
    if len(reason) > MAX_REASON:
        raise BadInput(f"Keep the reason under {MAX_REASON} characters.")
    return reason


def _nothing_more(word: str, rest: list[str]) -> None:
    if rest:
        raise BadInput(f"`{word}` takes one learner: `/cohort {word} NAME @user`.")
