"""The `/cohort` subcommands as typed values: what the parser makes and the service runs.

`cohort` is None where the caller left the name out (allowed when the tenant has one cohort).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

ChartKind = Literal["funnel", "scores", "activity"]
CHART_KINDS: tuple[ChartKind, ...] = ("funnel", "scores", "activity")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class UserRef(Frozen):
    kind: Literal["user"] = "user"
    id: str
    name: str = ""


class ChannelRef(Frozen):
    kind: Literal["channel"] = "channel"
    id: str
    name: str = ""


class RoleRef(Frozen):
    """A Discord role (or a Slack user group)."""

    kind: Literal["role"] = "role"
    id: str
    name: str = ""


Target = Annotated[UserRef | ChannelRef | RoleRef, Field(discriminator="kind")]


class Create(Frozen):
    word: Literal["create"] = "create"
    name: str


class ListCohorts(Frozen):
    word: Literal["list"] = "list"


class Enrol(Frozen):
    word: Literal["enrol"] = "enrol"
    cohort: str | None
    targets: tuple[Target, ...]


class Remove(Frozen):
    word: Literal["remove"] = "remove"
    cohort: str | None
    user: UserRef


class Facilitator(Frozen):
    word: Literal["facilitator"] = "facilitator"
    cohort: str | None
    op: Literal["add", "remove"]
    who: UserRef | RoleRef


class ShowProgress(Frozen):
    word: Literal["progress"] = "progress"
    cohort: str | None
    page: int = 1


class ShowLearner(Frozen):
    word: Literal["learner"] = "learner"
    cohort: str | None
    user: UserRef


class Unlock(Frozen):
    word: Literal["unlock"] = "unlock"
    cohort: str | None
    user: UserRef
    reason: str = ""


class Attempts(Frozen):
    word: Literal["attempts"] = "attempts"
    cohort: str | None
    user: UserRef
    extra: int
    reason: str = ""


class Reset(Frozen):
    word: Literal["reset"] = "reset"
    cohort: str | None
    user: UserRef
    unit: str
    """As typed: a unit name (`L2`, `quiz2`, `lab2`, `test`), a unit id, or `all`."""
    reason: str = ""


class Undo(Frozen):
    word: Literal["undo"] = "undo"
    cohort: str | None
    user: UserRef
    reason: str = ""


class Open(Frozen):
    """Open a lesson ahead of the cohort's release schedule: for everyone, or one learner."""

    word: Literal["open"] = "open"
    cohort: str | None
    unit: str
    """As typed: `L2` (or `quiz2`, `lab2`: they come with their lesson), a lesson id, or `all`."""
    user: UserRef | None = None
    reason: str = ""


class Export(Frozen):
    word: Literal["export"] = "export"
    cohort: str | None


class Audit(Frozen):
    word: Literal["audit"] = "audit"
    cohort: str | None


class Items(Frozen):
    word: Literal["items"] = "items"
    cohort: str | None


class Chart(Frozen):
    word: Literal["chart"] = "chart"
    cohort: str | None
    kind: ChartKind


class Reveal(Frozen):
    word: Literal["reveal"] = "reveal"
    cohort: str | None
    question: str
    """As typed: a question id, `L2Q3` (lesson 2's quiz, question 3) or `T7` (test question 7)."""
    answer: bool = False
    """The second step: post the correct option."""


class Policy(Frozen):
    """Show the cohort's settings (`key` None), or set one."""

    word: Literal["policy"] = "policy"
    cohort: str | None
    key: str | None = None
    value: str = ""


class Nudge(Frozen):
    """Preview the nudges due now, to send, skip or edit with buttons."""

    word: Literal["nudge"] = "nudge"
    cohort: str | None


class Channel(Frozen):
    """Show the cohort's channel (`channel` None, `clear` False), set it, or clear it."""

    word: Literal["channel"] = "channel"
    cohort: str | None
    channel: ChannelRef | None = None
    clear: bool = False


class Help(Frozen):
    word: Literal["help"] = "help"


CohortCommand = (
    Create
    | ListCohorts
    | Enrol
    | Remove
    | Facilitator
    | ShowProgress
    | ShowLearner
    | Unlock
    | Attempts
    | Reset
    | Undo
    | Open
    | Export
    | Audit
    | Items
    | Chart
    | Reveal
    | Policy
    | Nudge
    | Channel
    | Help
)

HELP_LINES = (
    "`create NAME`: make a cohort (you become its facilitator) · `list`: the cohorts here",
    "`enrol NAME @user… | #channel | @role`: enrol people; each gets a welcome DM",
    "`remove NAME @user`: take a learner out (their progress stays)",
    "`facilitator NAME add|remove @user`: share the cohort",
    "`progress NAME`: the roster, at-risk learners first",
    "`learner NAME @user`: one learner in detail",
    "`unlock NAME @user`: open the module test early",
    "`attempts NAME @user +N [reason]`: grant extra test attempts",
    "`reset NAME @user UNIT|all [reason]`: reset a unit (L1, quiz1, lab1, test) or all, after a Confirm",
    "`undo NAME @user`: restore what the last reset took",
    "`open NAME L2 [@user] [reason]`: open a lesson ahead of the `release` schedule, for everyone or one learner",
    "`export NAME`: two CSV files in your DM · `audit NAME`: the last facilitator actions",
    "`items NAME`: which questions work (facility, discrimination, options), flagged ones first, with a CSV",
    "`chart NAME funnel|scores|activity`: a picture of the cohort in your DM",
    "`nudge NAME`: the learners who would be nudged now and each drafted message; send all, skip or edit",
    "`reveal NAME QUESTION`: post the cohort's anonymised answers to a question (L1Q2, T5) here; "
    "`reveal NAME QUESTION answer` then posts the answer",
    "`policy NAME`: the cohort's settings · `policy NAME KEY VALUE`: change one "
    "(test-attempts, cooldown, test-open-early, start-date, release, pass-role)",
    "`channel NAME #channel|none`: the cohort's channel: shout-outs learners opt into "
    "(Share my pass), and on Discord private course threads for learners whose DMs are closed",
    "`help`: these words. With one cohort here, NAME may be left out.",
)
