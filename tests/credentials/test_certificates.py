"""Certificates: the code proves the fields it carries, the image shows them, the CLI checks them."""

from __future__ import annotations

import base64
import io
import uuid
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from bot.cli import main
from bot.course.loader import load_module
from bot.course.models import Module
from bot.credentials.codes import CertificateFields, CertificateSecretMissing, issue, verify
from bot.credentials.image import render
from bot.credentials.issuing import certificate_for
from bot.credentials.terminal import terminal_certificate
from bot.domain.codec import encode
from bot.domain.events import Actor
from bot.domain.state import LearnerState
from bot.runtime import open_runtime
from bot.settings import Settings
from tests.credentials.passes import SECRET, passed_state

REPO = Path(__file__).resolve().parents[2]
FIELDS = CertificateFields(
    name="Ada Lovelace", module="Module 2 — Technical Roles", issued=date(2026, 11, 30)
)


@pytest.fixture(scope="module")
def module() -> Module:
    return load_module(REPO / "course_data" / "module-02-technical-roles")


def test_a_code_carries_its_fields_and_verifies_with_the_secret() -> None:
    code = issue(FIELDS, SECRET)
    assert all(len(group) <= 5 for group in code.split("-"))
    assert verify(code, SECRET) == FIELDS
    # Typed by hand: lower case, spaces, groups run together.
    assert verify(code.lower().replace("-", " "), SECRET) == FIELDS


def test_a_forged_or_altered_code_is_refused() -> None:
    code = issue(FIELDS, SECRET)
    assert verify(code, "another secret") is None
    forged = issue(CertificateFields(name="Mallory", module=FIELDS.module, issued=FIELDS.issued), "guess")
    assert verify(forged, SECRET) is None
    # Change the name inside a genuine code, keep its MAC: refused.
    text = code.replace("-", "")
    raw = bytearray(base64.b32decode(text + "=" * (-len(text) % 8)))
    raw[5] ^= 0x01  # first byte of the name
    altered = base64.b32encode(bytes(raw)).decode().rstrip("=")
    assert verify(altered, SECRET) is None
    # One character changed anywhere.
    flipped = code[:7] + ("A" if code[7] != "A" else "B") + code[8:]
    assert verify(flipped, SECRET) is None
    for junk in ("", "not a code", "!!!!", "AAAA-AAAA"):
        assert verify(junk, SECRET) is None


def test_without_a_secret_nothing_is_issued_or_verified() -> None:
    with pytest.raises(CertificateSecretMissing, match="CERTIFICATE_SECRET"):
        issue(FIELDS, None)
    with pytest.raises(CertificateSecretMissing):
        verify(issue(FIELDS, SECRET), "")


def test_the_certificate_is_an_a4_png_showing_the_code_and_a_pdf() -> None:
    code = issue(FIELDS, SECRET)
    certificate = render(FIELDS, code)
    image = Image.open(io.BytesIO(certificate.png))
    assert image.format == "PNG"
    assert image.size == (1754, 1240)
    assert image.text["Verification code"] == code  # type: ignore[attr-defined]  # PNG text chunks
    assert certificate.pdf.startswith(b"%PDF")
    # The code is drawn, not only stored: another code changes the pixels.
    other = render(FIELDS, issue(FIELDS, "another secret"))
    assert Image.open(io.BytesIO(other.png)).tobytes() != image.tobytes()


def test_a_certificate_is_issued_only_on_a_pass_and_dated_by_the_first_pass(module: Module) -> None:
    assert certificate_for(None, module, "Ada", SECRET) is None
    assert certificate_for(LearnerState(module_id=module.id), module, "Ada", SECRET) is None
    first = certificate_for(passed_state(module), module, "Ada Lovelace", SECRET)
    again = certificate_for(passed_state(module), module, "Ada Lovelace", SECRET)
    assert first is not None and again is not None
    assert first.code == again.code
    assert verify(first.code, SECRET) == CertificateFields("Ada Lovelace", module.title, date(2026, 11, 30))


def test_a_very_long_name_still_makes_a_code_that_verifies_as_printed(module: Module) -> None:
    name = "Ünïcödé " * 40
    certificate = certificate_for(passed_state(module), module, name, SECRET)
    assert certificate is not None
    fields = verify(certificate.code, SECRET)
    assert fields is not None and fields == certificate.fields and name.startswith(fields.name)


def test_tutorbot_verify_prints_the_fields_or_refuses(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CERTIFICATE_SECRET", SECRET)
    code = issue(FIELDS, SECRET)
    assert main(["verify", code]) == 0
    out = capsys.readouterr().out
    assert "name: Ada Lovelace" in out and "module: Module 2 — Technical Roles" in out
    assert "date: 2026-11-30" in out
    assert main(["verify", *code.split("-")]) == 0  # pasted with spaces
    capsys.readouterr()
    assert main(["verify", issue(FIELDS, "forger")]) == 1
    assert capsys.readouterr().out.strip() == "not a valid certificate"
    monkeypatch.setenv("CERTIFICATE_SECRET", "")
    assert main(["verify", code]) == 2
    assert "Certificates need CERTIFICATE_SECRET" in capsys.readouterr().err


async def test_the_terminal_writes_the_certificate_into_the_data_folder(
    redis_url: str, tmp_path: Path, module: Module
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        redis_url=redis_url,
        key_prefix=f"t{uuid.uuid4().hex[:8]}",
        data_dir=tmp_path,
        course_dir=REPO / "course_data",
        certificate_secret=SECRET,  # type: ignore[arg-type]  # pydantic turns it into a SecretStr
    )
    actor = Actor(platform="terminal", tenant="local", user="ada")
    async with open_runtime(settings) as runtime:
        before = await terminal_certificate(runtime, actor, "ada")
        assert "not passed it yet" in before
        assert not (tmp_path / "certificates").exists()
        assert (await runtime.store.commit(actor, None, encode(passed_state(module)))).ok
        said = await terminal_certificate(runtime, actor, "ada")
    png = tmp_path / "certificates" / f"{module.id}-ada.png"
    assert str(png) in said
    code = said.split("Verification code: ")[1].split()[0]
    assert verify(code, SECRET) == CertificateFields("ada", module.title, date(2026, 11, 30))
    assert Image.open(png).text["Verification code"] == code  # type: ignore[attr-defined]
    assert png.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
