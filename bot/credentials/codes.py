"""Verification codes that prove a certificate without a database.

A code is the certificate's fields (name, module, date) packed into bytes, followed by an
HMAC-SHA-256 of those bytes under `CERTIFICATE_SECRET`, truncated to 80 bits, written in
base32 groups of five. Anyone with the secret can check a code offline; changing one field,
or making up a code without the secret, fails the MAC.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

VERSION = 1
MAC_BYTES = 10
"""80 bits: a forger must guess among 2**80 MACs per attempt; enough for a code checked by hand."""
DOMAIN = b"tutorbot certificate v1\x00"
MAX_FIELD_BYTES = 60
"""Longer names and titles are cut, so a code stays short enough to print and type."""
EPOCH = date(2000, 1, 1)
GROUP = 5


class CertificateSecretMissing(Exception):
    """No `CERTIFICATE_SECRET`: without it no code can be made or checked."""

    def __str__(self) -> str:
        return (
            "Certificates need CERTIFICATE_SECRET (any long random string, e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(32))'`) "
            "in the environment or .env; without it no certificate can be issued or verified."
        )


@dataclass(frozen=True)
class CertificateFields:
    name: str
    module: str
    issued: date


def _field(text: str) -> bytes:
    raw = text.encode("utf-8")[:MAX_FIELD_BYTES]
    # Cutting may split a character: drop the broken tail so the field decodes as it is printed.
    raw = raw.decode("utf-8", "ignore").encode("utf-8")
    return bytes([len(raw)]) + raw


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, DOMAIN + payload, hashlib.sha256).digest()[:MAC_BYTES]


def _key(secret: str | None) -> bytes:
    if not secret:
        raise CertificateSecretMissing()
    return secret.encode("utf-8")


def fit(fields: CertificateFields) -> CertificateFields:
    """The fields as a code can carry them (each at most MAX_FIELD_BYTES of UTF-8)."""
    return CertificateFields(
        name=_field(fields.name)[1:].decode("utf-8"),
        module=_field(fields.module)[1:].decode("utf-8"),
        issued=fields.issued,
    )


def issue(fields: CertificateFields, secret: str | None) -> str:
    """The verification code for these fields, e.g. `AEAQC-…`. Raises CertificateSecretMissing."""
    key = _key(secret)
    days = (fields.issued - EPOCH).days
    payload = bytes([VERSION]) + days.to_bytes(3, "big") + _field(fields.name) + _field(fields.module)
    text = base64.b32encode(payload + _mac(key, payload)).decode("ascii").rstrip("=")
    return "-".join(text[i : i + GROUP] for i in range(0, len(text), GROUP))


def verify(code: str, secret: str | None) -> CertificateFields | None:
    """The fields a genuine code carries; None for a forged, altered or malformed code."""
    key = _key(secret)
    text = "".join(code.split()).replace("-", "").upper()
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except ValueError:
        return None
    payload, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
    if len(payload) < 6 or not hmac.compare_digest(mac, _mac(key, payload)):
        return None
    if payload[0] != VERSION:
        return None
    try:
        days = int.from_bytes(payload[1:4], "big")
        name_len = payload[4]
        name = payload[5 : 5 + name_len].decode("utf-8")
        rest = payload[5 + name_len :]
        module = rest[1 : 1 + rest[0]].decode("utf-8")
        if len(rest) != 1 + rest[0]:
            return None
        return CertificateFields(name=name, module=module, issued=date.fromordinal(EPOCH.toordinal() + days))
    except (IndexError, UnicodeDecodeError, ValueError, OverflowError):
        return None
