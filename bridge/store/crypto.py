"""Encryption of credential data at rest (Fernet: AES-128-CBC + HMAC-SHA256, from ``cryptography``).

A token that does not authenticate under the configured key means the key is wrong (or the row was
tampered with): that is a configuration problem an operator must fix, so it raises
``ConfigurationError`` instead of returning garbage.
"""

from __future__ import annotations

import json

from cryptography.fernet import Fernet, InvalidToken

from bridge.errors import ConfigurationError


class SecretBox:
    """Seals and opens string→string mappings with one Fernet key."""

    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as e:
            raise ConfigurationError("the secret key is not a valid Fernet key") from e

    def seal(self, data: dict[str, str]) -> bytes:
        return self._fernet.encrypt(json.dumps(data, sort_keys=True).encode("utf-8"))

    def open(self, token: bytes) -> dict[str, str]:
        try:
            plain = self._fernet.decrypt(bytes(token))
        except InvalidToken:
            raise ConfigurationError(
                "stored credential data cannot be decrypted with the configured BRIDGE_SECRET_KEY; "
                "the key differs from the one the data was written with"
            ) from None
        loaded = json.loads(plain)
        return {str(k): str(v) for k, v in loaded.items()}
