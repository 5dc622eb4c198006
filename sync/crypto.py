"""OAuth tokens at rest: Fernet (AES-128-CBC + HMAC), keys rotatable.

RUNSMART_TOKEN_KEY may hold several comma-separated keys: the first encrypts, all decrypt, so a key can be
rotated without a flag day (re-encrypt happens on the next token refresh).
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class TokenCipherError(RuntimeError):
    pass


class TokenCipher:
    def __init__(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise TokenCipherError("no token key configured (RUNSMART_TOKEN_KEY)")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in parts])
        except ValueError as exc:
            raise TokenCipherError(
                "RUNSMART_TOKEN_KEY must be Fernet keys (32 url-safe base64 bytes); "
                "generate one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            ) from exc

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise TokenCipherError("stored token cannot be decrypted with the configured keys") from exc
