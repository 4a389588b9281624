"""`tutorbot verify CODE`: prove a certificate from its code alone."""

from __future__ import annotations

import sys

from bot.credentials.codes import CertificateSecretMissing, verify
from bot.settings import Settings


def run_verify(code: str, settings: Settings | None = None) -> int:
    settings = settings or Settings()
    secret = settings.certificate_secret.get_secret_value() if settings.certificate_secret else None
    try:
        fields = verify(code, secret)
    except CertificateSecretMissing as missing:
        print(missing, file=sys.stderr)
        return 2
    if fields is None:
        print("not a valid certificate")
        return 1
    print(
        f"valid certificate\nname: {fields.name}\nmodule: {fields.module}\ndate: {fields.issued.isoformat()}"
    )
    return 0
