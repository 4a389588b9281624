"""A learner's certificate from their record: issued only on a pass, dated by the first pass, so
fetching it again gives the same code."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.course.models import Module
from bot.credentials.codes import CertificateFields, fit, issue
from bot.credentials.image import Certificate, render
from bot.domain.state import LearnerState


def pass_fields(state: LearnerState | None, module: Module, name: str) -> CertificateFields | None:
    """The certificate's fields, or None when the learner has not passed the module test."""
    if state is None:
        return None
    first = state.progress.first_pass
    if first is None:
        return None
    issued = datetime.fromtimestamp(first.finished_at, UTC).date()
    return fit(CertificateFields(name=name.strip() or "Learner", module=module.title, issued=issued))


def certificate_for(
    state: LearnerState | None, module: Module, name: str, secret: str | None
) -> Certificate | None:
    """The rendered certificate, or None before a pass. Raises CertificateSecretMissing."""
    fields = pass_fields(state, module, name)
    if fields is None:
        return None
    return render(fields, issue(fields, secret))
