"""The word `certificate` in the terminal: the learner's certificate written into the data folder."""

from __future__ import annotations

from bot.credentials.desk import CertificateDesk
from bot.domain.events import Actor
from bot.runtime import Runtime


async def terminal_certificate(runtime: Runtime, actor: Actor, name: str) -> str:
    """What to print: where the certificate was written and its code, or why there is none."""
    got = await CertificateDesk.of(runtime.store, runtime.module, runtime.settings).fetch(actor, name)
    if isinstance(got, str):
        return got
    folder = runtime.settings.data_dir / "certificates"
    folder.mkdir(parents=True, exist_ok=True)
    png = folder / f"{runtime.module.id}-{actor.user}.png"
    png.write_bytes(got.png)
    png.with_suffix(".pdf").write_bytes(got.pdf)
    return (
        f"Your certificate: {png}\n(and {png.with_suffix('.pdf').name} beside it)\n"
        f"Verification code: {got.code}\nAnyone with the bot's secret can check it: "
        f"tutorbot verify {got.code}"
    )
