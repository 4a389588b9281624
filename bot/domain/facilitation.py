"""Facilitator events: what a facilitator does to one learner's record.

They reach the engine like a learner's click and are applied under the same revision check,
so a facilitator's change and the learner's own concurrent click both land. `actor` is the
learner whose record changes; `by` is the facilitator (same platform and tenant).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from bot.domain.events import Actor, IdPart
from bot.domain.state import CohortTerms

Reason = Annotated[str, StringConstraints(max_length=200)]

ALL_UNITS = "all"


class UnlockTest(BaseModel):
    """Open the module test before every quiz and lab is done."""

    kind: Literal["unlock_test"] = "unlock_test"
    actor: Actor
    by: IdPart
    reason: Reason = ""


class GrantAttempts(BaseModel):
    """Extra module-test attempts on top of the course's limit."""

    kind: Literal["grant_attempts"] = "grant_attempts"
    actor: Actor
    by: IdPart
    extra: int = Field(ge=1, le=100)
    reason: Reason = ""


class ResetProgress(BaseModel):
    """Reset one unit (`unit` is a unit id) or the whole course (`unit == "all"`). The record
    before the reset is kept in the state, so `UndoReset` can restore it."""

    kind: Literal["reset_progress"] = "reset_progress"
    actor: Actor
    by: IdPart
    unit: Annotated[str, StringConstraints(min_length=1, max_length=96)]
    reset_id: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    reason: Reason = ""


class UndoReset(BaseModel):
    """Restore the progress kept by the learner's last reset."""

    kind: Literal["undo_reset"] = "undo_reset"
    actor: Actor
    by: IdPart
    reason: Reason = ""


class OpenLessons(BaseModel):
    """Open the lessons up to `through` for this learner ahead of their cohort's schedule."""

    kind: Literal["open_lessons"] = "open_lessons"
    actor: Actor
    by: IdPart
    through: int = Field(ge=2, le=999)
    reason: Reason = ""


class ApplyTerms(BaseModel):
    """Put the learner under their cohort's terms (on enrolment and at every policy change),
    or back under the module's defaults (`terms` None, when they leave the cohort)."""

    kind: Literal["apply_terms"] = "apply_terms"
    actor: Actor
    by: IdPart
    terms: CohortTerms | None
    reason: Reason = ""


FacilitatorEvent = Annotated[
    UnlockTest | GrantAttempts | ResetProgress | UndoReset | ApplyTerms | OpenLessons,
    Field(discriminator="kind"),
]
FACILITATOR_EVENTS = (UnlockTest, GrantAttempts, ResetProgress, UndoReset, ApplyTerms, OpenLessons)
