"""`tutorbot reencrypt-tokens`: after a new key is put first in TOKEN_ENCRYPTION_KEY, rewrite
every stored installation with it, so the old key can then be removed."""

from __future__ import annotations

import sys

from bot.adapters.slack.installations import RedisInstallationStore
from bot.storage.token_cipher import TokenCipher, TokenKeyError


async def run_reencrypt() -> int:
    from bot.runtime import open_runtime
    from bot.settings import Settings

    settings = Settings()
    key = settings.token_encryption_key.get_secret_value() if settings.token_encryption_key else ""
    try:
        cipher = TokenCipher(key)
    except TokenKeyError as error:
        print(error, file=sys.stderr)
        return 2
    async with open_runtime(settings) as runtime:
        store = RedisInstallationStore(runtime.redis, runtime.keys, cipher)
        done, unreadable = await store.reencrypt()
    print(f"Re-encrypted {done} installation records with the first key.")
    if unreadable:
        print(
            f"{unreadable} records could not be decrypted with any listed key; they were left as they are.",
            file=sys.stderr,
        )
        return 1
    return 0
