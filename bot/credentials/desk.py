"""Fetching a learner's certificate, the same on every platform: the adapter supplies the name
the platform knows the learner by and delivers the files."""

from __future__ import annotations

from dataclasses import dataclass

from bot.course.models import Module
from bot.credentials.codes import CertificateSecretMissing
from bot.credentials.image import Certificate
from bot.credentials.issuing import certificate_for
from bot.domain.codec import decode
from bot.domain.events import Actor
from bot.settings import Settings
from bot.storage.base import LearnerStore

NOT_PASSED = "A certificate comes with a pass of the module test: you have not passed it yet."
WORD = "certificate"
"""`/tutor certificate` on Slack and Discord, and the word in the terminal."""


@dataclass(frozen=True)
class CertificateDesk:
    store: LearnerStore
    module: Module
    secret: str | None

    @classmethod
    def of(cls, store: LearnerStore, module: Module, settings: Settings) -> CertificateDesk:
        secret = settings.certificate_secret
        return cls(store, module, secret.get_secret_value() if secret else None)

    async def fetch(self, actor: Actor, name: str) -> Certificate | str:
        """The learner's certificate, or the sentence that says why there is none."""
        stored = await self.store.load(actor)
        state = decode(stored.data) if stored is not None else None
        try:
            certificate = certificate_for(state, self.module, name, self.secret)
        except CertificateSecretMissing as missing:
            return str(missing)
        return certificate if certificate is not None else NOT_PASSED

    @staticmethod
    def file_name(certificate: Certificate, extension: str) -> str:
        return f"certificate-{certificate.fields.issued.isoformat()}.{extension}"
