"""The word `certificate` in the terminal: the learner's certificate written into the data folder."""

from __future__ import annotations

from pathlib import Path

from bot.credentials.codes import CertificateSecretMissing
from bot.credentials.issuing import certificate_for
from bot.domain.codec import decode
from bot.domain.events import Actor
from bot.runtime import Runtime


async def terminal_certificate(runtime: Runtime, actor: Actor, name: str) -> str:
    """What to print: where the certificate was written and its code, or why there is none."""
    stored = await runtime.store.load(actor)
    state = decode(stored.data) if stored is not None else None
    secret = runtime.settings.certificate_secret
    try:
        certificate = certificate_for(
            state, runtime.module, name, secret.get_secret_value() if secret else None
        )
    except CertificateSecretMissing as missing:
        return str(missing)
    if certificate is None:
        return "A certificate comes with a pass of the module test: you have not passed it yet."
    folder: Path = runtime.settings.data_dir / "certificates"
    folder.mkdir(parents=True, exist_ok=True)
    png = folder / f"{runtime.module.id}-{actor.user}.png"
    png.write_bytes(certificate.png)
    png.with_suffix(".pdf").write_bytes(certificate.pdf)
    return (
        f"Your certificate: {png}\n(and {png.with_suffix('.pdf').name} beside it)\n"
        f"Verification code: {certificate.code}\nAnyone with the bot's secret can check it: "
        f"tutorbot verify {certificate.code}"
    )
