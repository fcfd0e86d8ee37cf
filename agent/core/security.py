"""Password hashing (scrypt, stdlib) and encryption of stored platform credentials (Fernet)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from agent.core.errors import StudioError

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
MIN_PASSWORD_LEN = 8


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LEN:
        raise StudioError(f"The password must have at least {MIN_PASSWORD_LEN} characters.")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        # Spend the same time as a real check so a missing user is not told apart by timing.
        hashlib.scrypt(password.encode(), salt=b"0" * 16, **_SCRYPT)
        return False
    try:
        _, salt_b64, digest_b64 = stored.split("$", 2)
        salt, expected = (
            base64.b64decode(salt_b64, validate=True),
            base64.b64decode(digest_b64, validate=True),
        )
    except ValueError:  # a malformed stored hash never matches
        return False
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return hmac.compare_digest(digest, expected)


class CredentialBox:
    """Encrypts credentials at rest. Keys newest first; old keys still decrypt (rotation)."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise StudioError("No encryption key configured (STUDIO_SECRET_KEY).")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def encrypt(self, credentials: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(credentials).encode()).decode()

    def decrypt(self, token: str) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise StudioError("Stored credentials cannot be decrypted with the configured keys.") from None
        return data

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the newest key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise StudioError("Stored credentials cannot be decrypted with the configured keys.") from None
