"""Encryption at rest for installation tokens: Fernet (AES-128-CBC with HMAC-SHA256).

`TOKEN_ENCRYPTION_KEY` holds one key, or several separated by commas, newest first
(`MultiFernet`): new data is encrypted with the first key and every listed key can still
decrypt, so a key is rotated by putting a new one in front, running `tutorbot rotate-tokens`
(which re-encrypts every stored installation with the first key) and then dropping the old key.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

KEYGEN_HINT = "Make one with `tutorbot keygen` and set it as TOKEN_ENCRYPTION_KEY."


class TokenKeyError(ValueError):
    """The configured key cannot be used; the message names the problem, never the key."""


class UnreadableSecret(ValueError):
    """Stored ciphertext that none of the configured keys opens (wrong key, or tampered)."""


def new_key() -> str:
    """A fresh random key, as `TOKEN_ENCRYPTION_KEY` wants it."""
    return Fernet.generate_key().decode("ascii")


class TokenCipher:
    def __init__(self, keys: str) -> None:
        parts = [part.strip() for part in keys.split(",") if part.strip()]
        if not parts:
            raise TokenKeyError(f"TOKEN_ENCRYPTION_KEY is not set. {KEYGEN_HINT}")
        fernets = []
        for position, part in enumerate(parts, start=1):
            try:
                fernets.append(Fernet(part.encode("ascii")))
            except (ValueError, UnicodeEncodeError):
                raise TokenKeyError(
                    f"TOKEN_ENCRYPTION_KEY key {position} of {len(parts)} is not a Fernet key "
                    f"(32 url-safe base64-encoded bytes). {KEYGEN_HINT}"
                ) from None
        self._fernet = MultiFernet(fernets)

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def decrypt(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise UnreadableSecret("stored secret cannot be decrypted with TOKEN_ENCRYPTION_KEY") from None

    def rotate(self, sealed: str) -> str:
        """The same secret encrypted with the first (newest) key."""
        try:
            return self._fernet.rotate(sealed.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise UnreadableSecret("stored secret cannot be decrypted with TOKEN_ENCRYPTION_KEY") from None
